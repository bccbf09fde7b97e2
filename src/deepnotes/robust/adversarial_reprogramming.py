"""Adversarial reprogramming: a learned additive "program" makes a frozen classifier do a new task.

Syllabus: robustness.adversarial_reprogramming. Notes: 000 L10.16.

The small new-task input s (h, w) is embedded in the centre of the host image size (H, W); a
mask M is 0 on that centre and 1 elsewhere, and the program is P = tanh(W ⊙ M). The host input is
X = clip(embed(s) + P, 0, 1); the host's logits for the first n_new classes (a fixed label
mapping) are the new task's logits. Only W is trained; the model is frozen.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["AdversarialProgram"]


@syllabus("robustness.adversarial_reprogramming")
class AdversarialProgram(nn.Module):
    """Wraps a frozen ``model`` with a trainable program for inputs (B, C, h, w)."""

    def __init__(self, model: nn.Module, host_shape: tuple[int, int, int], inner_size: tuple[int, int],
                 label_map: list[int]):
        super().__init__()
        C, H, W = host_shape
        h, w = inner_size
        expect(h <= H and w <= W, "inner_size", f"at most {(H, W)}", inner_size)
        self.model = model
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.top, self.left = (H - h) // 2, (W - w) // 2
        self.host_shape, self.inner_size = host_shape, inner_size
        mask = torch.ones(1, C, H, W)
        mask[..., self.top:self.top + h, self.left:self.left + w] = 0
        self.register_buffer("mask", mask)
        self.weight = nn.Parameter(torch.zeros(1, C, H, W))
        self.register_buffer("label_map", torch.as_tensor(label_map))

    def program(self) -> torch.Tensor:
        return torch.tanh(self.weight * self.mask)                   # (1, C, H, W)

    def forward(self, small: torch.Tensor) -> torch.Tensor:
        h, w = self.inner_size
        expect(tuple(small.shape[-2:]) == (h, w), "small", f"inputs (B, C, {h}, {w})", tuple(small.shape))
        x = F.pad(small, (self.left, self.host_shape[2] - w - self.left,
                          self.top, self.host_shape[1] - h - self.top))  # (B, C, H, W)
        x = (x + self.program()).clamp(0, 1)
        return self.model(x)[:, self.label_map]                      # (B, n_new)
