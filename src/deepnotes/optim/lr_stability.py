"""Learning-rate stability and conditioning: gradient descent on a diagonal quadratic.

Syllabus: optimization.learning_rate_stability. Notes: 000 L2.41-42; 001 S4.18-19.

On f(x) = 1/2 sum_i lam_i x_i^2 gradient descent acts on each coordinate separately,

    x_i <- (1 - lr lam_i) x_i,

so it converges iff |1 - lr lam_i| < 1 for all i, i.e. 0 < lr < 2 / lam_max. At the best fixed
rate the slowest coordinate contracts by (kappa - 1) / (kappa + 1) with kappa = lam_max / lam_min,
so the number of iterations to a tolerance grows about linearly in kappa. A grid search over lr
picks the largest stable rate.
"""
from __future__ import annotations

from typing import Sequence

import torch

from ..core import expect, syllabus

__all__ = ["quadratic_gd", "max_stable_lr", "iterations_to_tolerance", "lr_grid_search"]


def _lams(lambdas) -> torch.Tensor:
    lam = torch.as_tensor(lambdas, dtype=torch.float64)
    expect(lam.dim() == 1 and bool((lam > 0).all()), "lambdas", "positive curvatures", lambdas)
    return lam


@syllabus("optimization.learning_rate_stability")
def quadratic_gd(lambdas: Sequence[float], lr, steps: int, x0=None) -> torch.Tensor:
    """f along gradient descent from x0 (default all ones): (steps + 1,) for a float ``lr``, or
    (steps + 1, K) for a 1-D tensor of K learning rates run side by side."""
    lam = _lams(lambdas)                                               # (d,)
    lrs = torch.as_tensor(lr, dtype=torch.float64).reshape(-1, 1)      # (K, 1)
    x = torch.ones_like(lam) if x0 is None else torch.as_tensor(x0, dtype=torch.float64).clone()
    x = x.expand(len(lrs), -1).clone()                                 # (K, d)
    f = [0.5 * (lam * x ** 2).sum(1)]
    for _ in range(steps):
        x = x - lrs * lam * x                                          # grad f = lam * x
        f.append(0.5 * (lam * x ** 2).sum(1))
    out = torch.stack(f)                                               # (steps + 1, K)
    return out[:, 0] if torch.as_tensor(lr).dim() == 0 else out


@syllabus("optimization.learning_rate_stability")
def max_stable_lr(lambdas: Sequence[float]) -> float:
    """2 / lam_max: gradient descent converges for every lr below it."""
    return 2.0 / _lams(lambdas).max().item()


@syllabus("optimization.learning_rate_stability")
def iterations_to_tolerance(lambdas: Sequence[float], lr: float, tol: float = 1e-6,
                            max_steps: int = 1_000_000, x0=None) -> int:
    """Steps until f(x) < tol (max_steps if never), in closed form per coordinate."""
    lam = _lams(lambdas)
    x = torch.ones_like(lam) if x0 is None else torch.as_tensor(x0, dtype=torch.float64)
    r = (1 - lr * lam).abs()                                           # per-coordinate contraction
    lo, hi = 0, max_steps                                              # f(t) = 1/2 sum lam x^2 r^(2t)
    f = lambda t: 0.5 * (lam * x ** 2 * r ** (2 * t)).sum().item()    # noqa: E731
    if f(max_steps) >= tol:
        return max_steps
    while lo < hi:                                                     # f is non-increasing when stable
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if f(mid) >= tol else (lo, mid)
    return lo


@syllabus("optimization.learning_rate_stability")
def lr_grid_search(lambdas: Sequence[float], grid: Sequence[float], steps: int = 200) -> float:
    """The largest lr of ``grid`` for which ``steps`` of GD reduce f (0.0 if none does)."""
    best = 0.0
    for lr in grid:
        f = quadratic_gd(lambdas, lr, steps)
        if torch.isfinite(f[-1]) and f[-1] < f[0]:
            best = max(best, float(lr))
    return best
