"""Fast Gradient Sign Method: one signed gradient step of size eps.

Syllabus: robustness.fgsm. Notes: 000 L10.10; 002 §9.3d.

    x* = clip(x + eps * sign(grad_x CE(f(x), y)), lo, hi)            (non-targeted)
    x* = clip(x - eps * sign(grad_x CE(f(x), y_target)), lo, hi)     (targeted)

with sign(0) = 0, so pixels with zero gradient stay put. Errata: 000 defines sign(t) = -1 for
t <= 0 (zero-gradient pixels move by -eps) and writes the step as x0 - eps g because it minimises
the negated error -e; the standard form above is equivalent otherwise.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import syllabus
from .threat_models import check_attack_inputs

__all__ = ["fgsm", "input_gradient"]


def input_gradient(model: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """grad_x of the summed cross-entropy at ``inputs`` (model parameters untouched)."""
    x = inputs.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), target, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    return grad


@syllabus("robustness.fgsm")
def fgsm(model: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor, eps: float = 8 / 255,
         targeted: bool = False, bounds: tuple[float, float] | None = (0.0, 1.0)) -> torch.Tensor:
    """FGSM adversarial inputs (B, ...); ``target`` is the true label, or the goal class if targeted."""
    check_attack_inputs(inputs, target, eps, bounds)
    grad = input_gradient(model, inputs, target)
    step = -eps * grad.sign() if targeted else eps * grad.sign()
    adv = inputs.detach() + step
    return adv.clamp(*bounds) if bounds is not None else adv
