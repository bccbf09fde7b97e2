"""Black-box transfer attacks through surrogate models.

Syllabus: robustness.transfer_attack. Notes: 000 L10.12; 002 §9.3g-§9.3i.

The adversary cannot differentiate the target. It trains a surrogate (on the same data, or on
labels obtained by querying the target: ``query_labels``), crafts white-box adversarial inputs
on it, or on an ensemble whose logits are averaged (``SurrogateEnsemble``), and sends them to the
target. ``success_rate`` is the fraction of originally-correct inputs the target now gets wrong.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from ..core import expect, syllabus
from .fgsm import fgsm

__all__ = ["SurrogateEnsemble", "query_labels", "transfer_attack", "success_rate"]


class SurrogateEnsemble(nn.Module):
    """Mean of the members' logits: a differentiable stand-in built from several surrogates."""

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        expect(len(members) >= 1, "members", "at least one model", len(members))
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members]).mean(0)  # (B, K)


@torch.no_grad()
def query_labels(target_model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Labels the black-box target assigns (forward queries only): (B,)."""
    return target_model(inputs).argmax(-1)


@syllabus("robustness.transfer_attack")
def transfer_attack(surrogate: nn.Module | Sequence[nn.Module], target_model: nn.Module, inputs: torch.Tensor,
                    target: torch.Tensor, eps: float, attack: Callable[..., torch.Tensor] = fgsm, **attack_kw
                    ) -> tuple[torch.Tensor, float]:
    """Craft on ``surrogate`` (or the ensemble of a list), evaluate on ``target_model``.

    Returns (adversarial inputs, success rate on the target)."""
    if not isinstance(surrogate, nn.Module):
        surrogate = SurrogateEnsemble(list(surrogate))
    adv = attack(surrogate, inputs, target, eps=eps, **attack_kw)
    return adv, success_rate(target_model, inputs, adv, target)


@torch.no_grad()
def success_rate(model: nn.Module, clean: torch.Tensor, adv: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of inputs classified correctly when clean and wrongly when perturbed."""
    ok = model(clean).argmax(-1) == target
    fooled = ok & (model(adv).argmax(-1) != target)
    return float(fooled.sum()) / max(int(ok.sum()), 1)
