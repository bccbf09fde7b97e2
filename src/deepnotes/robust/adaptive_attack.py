"""Adaptive attacks through known preprocessing: differentiate through it, BPDA, EOT.

Syllabus: robustness.adaptive_attack (NOT claimed: PGD through the blur defence restored success
only to 0.74-0.75 vs 0.77-0.80 undefended on the digits MLP, short of the syllabus check; through the AE
purifier it reaches 0.83 >= 0.80). Notes: 000 L10.22.

An attacker who knows the defence treats the filter g as the first layers: attack f(g(x)).
Differentiable filters (blur) are attacked directly. For non-differentiable ones (median,
quantisation) BPDA uses g in the forward pass and the identity in the backward pass:
``bpda(g)(x) = x + (g(x) - x).detach()``. Random defences are attacked with EOT, averaging the
gradient over draws (``EOTWrapper``).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..core import expect

__all__ = ["BPDAWrapper", "EOTWrapper"]


class BPDAWrapper(nn.Module):
    """model(g(x)) in the forward pass; gradient of model at g(x) passed straight through g."""

    def __init__(self, model: nn.Module, preprocess: Callable[[torch.Tensor], torch.Tensor], straight_through: bool = True):
        super().__init__()
        self.model, self.preprocess, self.straight_through = model, preprocess, straight_through

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.straight_through:
            with torch.no_grad():
                gx = self.preprocess(x)
            return self.model(x + (gx - x).detach())
        return self.model(self.preprocess(x))


class EOTWrapper(nn.Module):
    """Mean logits over ``draws`` calls of a random defence: its gradient is the EOT gradient."""

    def __init__(self, defended: nn.Module, draws: int = 8, generator: torch.Generator | None = None):
        super().__init__()
        expect(draws >= 1, "draws", "a positive int", draws)
        self.defended, self.draws, self.generator = defended, draws, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([self.defended(x, generator=self.generator) for _ in range(self.draws)]).mean(0)
