"""Projected gradient descent attack (I-FGSM / PGD), L_inf and L_2.

Syllabus: robustness.pgd_attack. Notes: 000 L10.02-L10.03, L10.08-L10.09, L10.11; 001 S11.16;
002 §9.3a.

    x^0 = x (+ uniform noise in the ball if random_start)
    L_inf: x^{t+1} = Proj_{B_eps(x) ∩ [lo,hi]}(x^t + alpha sign(grad L(x^t)))
    L_2:   x^{t+1} = Proj_{B_eps(x) ∩ [lo,hi]}(x^t + alpha grad / |grad|_2)

Defaults eps = 8/255, alpha = 2/255, 10 steps. The model is frozen (eval mode, no parameter
updates); targeted attacks descend the loss towards ``target``. ``callback(t, x_t)`` sees every
iterate, so a test can check the budget after each step.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus
from .fgsm import input_gradient
from .threat_models import check_attack_inputs, perturbation_norm, project_l2, project_linf

__all__ = ["pgd"]


@syllabus("robustness.pgd_attack")
def pgd(model: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor, eps: float = 8 / 255,
        alpha: float = 2 / 255, steps: int = 10, norm: str = "inf", random_start: bool = False,
        targeted: bool = False, bounds: tuple[float, float] | None = (0.0, 1.0),
        generator: torch.Generator | None = None,
        callback: Callable[[int, torch.Tensor], None] | None = None) -> torch.Tensor:
    """PGD adversarial inputs (B, ...) inside the ``norm`` eps-ball around ``inputs`` and ``bounds``."""
    check_attack_inputs(inputs, target, eps, bounds)
    expect(norm in ("inf", "2"), "norm", "'inf' or '2'", norm)
    expect(alpha > 0, "alpha", "a positive step size", alpha)
    expect(isinstance(steps, int) and steps >= 1, "steps", "a positive int", steps)
    x0 = inputs.detach()

    def project(x):
        if norm == "inf":
            return project_linf(x, x0, eps, bounds)
        x = project_l2(x, x0, eps)
        return x.clamp(*bounds) if bounds is not None else x   # box after ball: stays in both (box is convex, contains x0)

    x = x0.clone()
    if random_start:
        u = torch.rand(x0.shape, generator=generator, dtype=x0.dtype) * 2 - 1  # (B, ...) in [-1, 1]
        if norm == "2":
            u = u / perturbation_norm(u, 2).view(-1, *([1] * (u.dim() - 1))).clamp_min(1e-12)
            u = u * torch.rand(x0.shape[0], generator=generator).view(-1, *([1] * (u.dim() - 1)))
        x = project(x0 + eps * u)
    sign = -1.0 if targeted else 1.0
    for t in range(steps):
        g = input_gradient(model, x, target)                                  # (B, ...)
        if norm == "inf":
            step = g.sign()
        else:
            step = g / perturbation_norm(g, 2).view(-1, *([1] * (g.dim() - 1))).clamp_min(1e-12)
        x = project(x + sign * alpha * step)
        if callback is not None:
            callback(t, x)
    return x
