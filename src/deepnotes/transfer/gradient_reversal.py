"""Gradient reversal layer (GRL): identity forward, -lambda times the gradient backward.

Syllabus: adaptation_ssl_meta.gradient_reversal. Notes: 000 L11.05.

    forward:  R_lambda(x) = x
    backward: dR/dx = -lambda I, so the upstream gradient g comes back as -lambda g.
    schedule: lambda(p) = 2 / (1 + exp(-10 p)) - 1 for training progress p in [0, 1].

Placed between a feature extractor and a domain classifier, the classifier minimises its loss
while the extractor (receiving the reversed gradient) maximises it, in one backward pass.
Errata: the notes give the extractor's adversarial objective only in a figure and never name
gradient reversal; the GRL is the standard DANN implementation of that min-max.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["grad_reverse", "GradientReversal", "dann_lambda_schedule"]


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, lambd: float) -> torch.Tensor:
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.lambd * grad, None


@syllabus("adaptation_ssl_meta.gradient_reversal")
def grad_reverse(x: torch.Tensor, lambd: float = 1.0) -> torch.Tensor:
    """Identity on ``x``; the gradient flowing back through it is multiplied by ``-lambd``."""
    expect(isinstance(x, torch.Tensor), "x", "a torch.Tensor", type(x).__name__)
    expect(float(lambd) >= 0, "lambd", "a non-negative float", lambd)
    return _GradReverse.apply(x, float(lambd))


@syllabus("adaptation_ssl_meta.gradient_reversal")
class GradientReversal(nn.Module):
    """Module form of :func:`grad_reverse`; set ``self.lambd`` during training (e.g. the schedule)."""

    def __init__(self, lambd: float = 1.0):
        super().__init__()
        self.lambd = lambd

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.lambd)

    def extra_repr(self) -> str:
        return f"lambd={self.lambd}"


def dann_lambda_schedule(progress: float, gamma: float = 10.0) -> float:
    """lambda(p) = 2 / (1 + exp(-gamma p)) - 1, ramping 0 -> ~1 as training progress p goes 0 -> 1."""
    expect(0.0 <= progress <= 1.0, "progress", "a float in [0, 1]", progress)
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0
