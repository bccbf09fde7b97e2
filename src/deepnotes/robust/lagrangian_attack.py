"""Penalised (Lagrangian) attack: trade loss against distance instead of a hard budget.

Syllabus: robustness.lagrangian_attack. Notes: 002 §9.3e.

    x* = argmax_{x'} CE(f(x'), y) - lam * R(x, x'),     R = |x' - x|_2^2

optimised with Adam on x' (clamped to ``bounds`` after each step). lam = 0 is unconstrained
ascent. ``dual_lambda_search`` picks lam by dual gradient ascent on the constraint
R(x, x*) <= budget: lam <- max(0, lam + rho (R - budget)).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import expect, syllabus
from .threat_models import check_attack_inputs

__all__ = ["lagrangian_attack", "dual_lambda_search"]


@syllabus("robustness.lagrangian_attack")
def lagrangian_attack(model: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor, lam: float = 1.0,
                      steps: int = 100, lr: float = 0.01, bounds: tuple[float, float] | None = (0.0, 1.0)
                      ) -> torch.Tensor:
    """Adam ascent of CE - lam |x' - x|^2 per example; returns x* (B, ...)."""
    check_attack_inputs(inputs, target, 0.0, bounds)
    expect(lam >= 0, "lam", "a non-negative penalty weight", lam)
    x0 = inputs.detach()
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    for _ in range(steps):
        dist = (x - x0).pow(2).flatten(1).sum(1)                      # (B,)
        objective = F.cross_entropy(model(x), target, reduction="none") - lam * dist
        opt.zero_grad()
        (-objective.sum()).backward()
        opt.step()
        if bounds is not None:
            with torch.no_grad():
                x.clamp_(*bounds)
    return x.detach()


def dual_lambda_search(model: torch.nn.Module, inputs: torch.Tensor, target: torch.Tensor, budget: float,
                       lam0: float = 1.0, rho: float = 1.0, rounds: int = 10, **attack_kw
                       ) -> tuple[float, torch.Tensor]:
    """Dual gradient ascent on lam for the mean squared-L2 budget; returns (lam, x*)."""
    lam = lam0
    for _ in range(rounds):
        adv = lagrangian_attack(model, inputs, target, lam=lam, **attack_kw)
        r = float((adv - inputs).pow(2).flatten(1).sum(1).mean())
        lam = max(0.0, lam + rho * (r - budget))
    return lam, lagrangian_attack(model, inputs, target, lam=lam, **attack_kw)
