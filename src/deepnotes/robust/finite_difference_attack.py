"""Query-based attack with forward finite-difference gradient estimates.

Syllabus: robustness.finite_difference_attack. Notes: 002 §9.3j.

    grad_i L(x) ≈ (L(x + h e_i) - L(x)) / h,     h = 1e-3,

which costs d + 1 queries of the black box per gradient (one at x, one per coordinate). The
estimate then drives FGSM/PGD-style signed steps. ``QueryCounter`` wraps a model and counts the
forward queries per example.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .threat_models import check_attack_inputs, project_linf

__all__ = ["QueryCounter", "finite_difference_gradient", "finite_difference_attack"]


class QueryCounter(nn.Module):
    """Forwards to ``model`` and counts queries (one per example per call) in ``self.queries``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model, self.queries = model, 0

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.queries += x.shape[0]
        return self.model(x)


@syllabus("robustness.finite_difference_attack")
@torch.no_grad()
def finite_difference_gradient(model: nn.Module, x: torch.Tensor, target: torch.Tensor, h: float = 1e-3
                               ) -> torch.Tensor:
    """Forward-difference estimate of grad_x CE for each example; x (B, ...) -> (B, ...)."""
    expect(h > 0, "h", "a positive step", h)
    B, D = x.shape[0], x[0].numel()
    base = F.cross_entropy(model(x), target, reduction="none")         # (B,)   1 query each
    eye = torch.eye(D, dtype=x.dtype).view(D, *x.shape[1:]) * h        # (D, ...)
    grads = []
    for b in range(B):
        probe = x[b:b + 1] + eye                                       # (D, ...) d queries
        lp = F.cross_entropy(model(probe), target[b].expand(D), reduction="none")  # (D,)
        grads.append((lp - base[b]) / h)
    return torch.stack(grads).view_as(x)


@syllabus("robustness.finite_difference_attack")
def finite_difference_attack(model: nn.Module, inputs: torch.Tensor, target: torch.Tensor, eps: float,
                             alpha: float | None = None, steps: int = 1, h: float = 1e-3,
                             bounds: tuple[float, float] | None = (0.0, 1.0)) -> torch.Tensor:
    """Signed steps along the estimated gradient, projected to the L_inf ball (steps=1: FGSM)."""
    check_attack_inputs(inputs, target, eps, bounds)
    alpha = eps if alpha is None else alpha
    x0, x = inputs.detach(), inputs.detach().clone()
    for _ in range(steps):
        g = finite_difference_gradient(model, x, target, h)
        x = project_linf(x + alpha * g.sign(), x0, eps, bounds)
    return x
