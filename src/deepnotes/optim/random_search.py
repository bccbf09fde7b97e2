"""Random search: derivative-free descent along random directions, with an exact line search.

Syllabus: optimization.random_search. Notes: 003 L9.18; 001 S4.02 (learning by trials).

Each step draws a random unit direction v in parameter space, then

    eta* = argmin_eta f(theta + eta v)      (eta may be negative: both ways along the line)
    theta <- theta + eta* v

The line search brackets the minimum by doubling steps, then shrinks the bracket by golden
sections to ``tol``. On a quadratic f the exact answer is eta* = -v^T grad f / v^T H v, so f never
increases. ``line_search=False`` gives the naive variant of 001 ("learning by trials"): try
theta + sigma v and keep it only if f went down. The closure returns f; no gradient is used.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..core import expect, syllabus
from ._checks import check_params

__all__ = ["RandomSearch", "golden_line_search"]

_PHI = (math.sqrt(5) - 1) / 2        # 0.618...


@syllabus("optimization.random_search")
def golden_line_search(phi: Callable[[float], float], step: float = 1.0, tol: float = 1e-10,
                       max_expand: int = 60) -> tuple[float, float]:
    """(eta*, phi(eta*)) minimising a unimodal phi along the line; eta* may be negative."""
    f0, fp, fm = phi(0.0), phi(step), phi(-step)
    if fp >= f0 and fm >= f0:                      # minimum within [-step, step]
        a, b = -step, step
    else:                                          # walk downhill, doubling the step
        sign = 1.0 if fp < fm else -1.0
        prev, cur, fcur = 0.0, sign * step, min(fp, fm)
        for _ in range(max_expand):
            nxt = cur * 2
            fn = phi(nxt)
            if fn >= fcur:
                break
            prev, cur, fcur = cur, nxt, fn
        a, b = sorted((prev, cur * 2))
    c, d = b - _PHI * (b - a), a + _PHI * (b - a)
    fc, fd = phi(c), phi(d)
    while b - a > tol * max(1.0, abs(a) + abs(b)):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - _PHI * (b - a)
            fc = phi(c)
        else:
            a, c, fc = c, d, fd
            d = a + _PHI * (b - a)
            fd = phi(d)
    eta = (a + b) / 2
    f_eta = phi(eta)
    return (eta, f_eta) if f_eta <= f0 else (0.0, f0)


@syllabus("optimization.random_search")
class RandomSearch(torch.optim.Optimizer):
    """``RandomSearch(params, sigma=1.0, line_search=True, generator=None)``; ``step(closure)``."""

    def __init__(self, params, sigma: float = 1.0, line_search: bool = True, tol: float = 1e-10,
                 generator: torch.Generator | None = None):
        params = check_params(params)
        expect(sigma > 0, "sigma", "a positive step/bracket size", sigma)
        super().__init__(params, dict(sigma=sigma, line_search=line_search, tol=tol))
        self.generator = generator

    @torch.no_grad()
    def step(self, closure=None):
        expect(callable(closure), "closure", "a callable returning f(theta)", closure, TypeError)
        group = self.param_groups[0]
        params = [p for g in self.param_groups for p in g["params"]]
        start = [p.detach().clone() for p in params]
        v = [torch.randn(p.shape, generator=self.generator, dtype=p.dtype) for p in params]
        norm = torch.sqrt(sum((x ** 2).sum() for x in v))
        v = [x / norm for x in v]                                        # unit direction

        def phi(eta: float) -> float:                                    # f(theta + eta v)
            for p, s, x in zip(params, start, v):
                p.copy_(s + eta * x)
            return float(closure())

        if group["line_search"]:
            eta, f = golden_line_search(phi, group["sigma"], group["tol"])
        else:                                                            # keep it only if better
            f0, f1 = phi(0.0), phi(group["sigma"])
            eta, f = (group["sigma"], f1) if f1 < f0 else (0.0, f0)
        for p, s, x in zip(params, start, v):
            p.copy_(s + eta * x)
        return torch.tensor(f)
