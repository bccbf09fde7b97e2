"""Dual gradient descent: a Lagrange multiplier learned alongside the parameters.

Syllabus: optimization.dual_gradient_descent (named only). Notes: 002 §9.3f.

To minimise f(x) subject to c(x) <= 0, form the Lagrangian L(x, lam) = f(x) + lam c(x) and
alternate

    x   <- x - lr grad_x L(x, lam)           ``inner_steps`` gradient steps (approximate argmin_x)
    lam <- max(0, lam + dual_lr c(x))         projected gradient ASCENT on the dual

lam grows while the constraint is violated and shrinks to 0 when it is slack. For
min x^2 s.t. 1 - x <= 0: argmin_x L = lam / 2, so the fixed point is x = 1, lam = 2.

``step(closure)`` takes closure() -> (f, c) (c a scalar or a vector of constraints); the
multiplier(s) live in ``param_groups[0]["multiplier"]`` and so travel with ``state_dict``.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from ._checks import check_lr, check_params

__all__ = ["DualGradientDescent"]


@syllabus("optimization.dual_gradient_descent")
class DualGradientDescent(torch.optim.Optimizer):
    """``DualGradientDescent(params, lr, dual_lr, inner_steps=1, multiplier=0.0)``."""

    def __init__(self, params, lr: float = 0.1, dual_lr: float = 0.1, inner_steps: int = 1,
                 multiplier: float = 0.0):
        params = check_params(params)
        check_lr(lr)
        expect(dual_lr > 0, "dual_lr", "a positive step size", dual_lr)
        expect(isinstance(inner_steps, int) and inner_steps >= 1, "inner_steps", "a positive int",
               inner_steps)
        expect(multiplier >= 0, "multiplier", "a non-negative initial multiplier", multiplier)
        super().__init__(params, dict(lr=lr, dual_lr=dual_lr, inner_steps=inner_steps,
                                      multiplier=multiplier))

    def step(self, closure=None):
        expect(callable(closure), "closure", "a callable returning (objective, constraint)", closure,
               TypeError)
        group = self.param_groups[0]
        params = [p for g in self.param_groups for p in g["params"] if p.requires_grad]
        lam = torch.as_tensor(group["multiplier"], dtype=torch.float64)
        for _ in range(group["inner_steps"]):
            with torch.enable_grad():
                f, c = closure()
                lagrangian = f + (lam.to(c.dtype) * c).sum()
                grads = torch.autograd.grad(lagrangian, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= group["lr"] * g                                       # primal descent
        with torch.no_grad():
            f, c = closure()
            lam = torch.clamp(lam + group["dual_lr"] * c.detach().to(torch.float64), min=0.0)  # dual ascent
        group["multiplier"] = lam.item() if lam.numel() == 1 else lam.tolist()
        return f.detach()
