"""Sharpness: the largest Hessian eigenvalue, by power iteration on Hessian-vector products.

Syllabus: optimization.sharpness. Notes: 000 L2.35-36.

    v <- H v / ||H v||   (repeated),   lam = v^T H v

converges to the eigenvalue of largest |lam| using only HVPs (one double backward each, never
the n x n matrix). If that eigenvalue is negative, a second run on H - lam I (whose top
eigenvalue is lam_max - lam >= 0) recovers lam_max. A sharp minimum (large lam_max) is one where
a small step raises the loss steeply; 000 links flat minima to better generalisation (a claim
the batch-size experiment measures rather than assumes).
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["power_iteration", "sharpness"]


def power_iteration(hvp: Callable[[torch.Tensor], torch.Tensor], n: int, iters: int = 100,
                    tol: float = 1e-10, generator: torch.Generator | None = None,
                    dtype: torch.dtype = torch.float64) -> tuple[float, torch.Tensor]:
    """(lam, v): the dominant eigenpair of the symmetric map ``hvp`` on R^n."""
    expect(iters >= 1, "iters", "at least 1", iters)
    v = torch.randn(n, generator=generator, dtype=dtype)
    v = v / v.norm()
    lam = 0.0
    for _ in range(iters):
        hv = hvp(v)
        new = (v @ hv).item()                                   # Rayleigh quotient
        norm = hv.norm()
        if norm == 0:
            return 0.0, v
        v = hv / norm
        if abs(new - lam) <= tol * max(1.0, abs(new)):
            lam = new
            break
        lam = new
    return lam, v


@syllabus("optimization.sharpness")
def sharpness(hvp: Callable[[torch.Tensor], torch.Tensor], n: int, iters: int = 100,
              generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64) -> float:
    """lam_max(H) from Hessian-vector products ``hvp(v) = H v`` (e.g. deepnotes.autodiff.hvp)."""
    lam, _ = power_iteration(hvp, n, iters, generator=generator, dtype=dtype)
    if lam < 0:                                                 # dominant was the most negative one
        mu, _ = power_iteration(lambda v: hvp(v) - lam * v, n, iters, generator=generator, dtype=dtype)
        lam = lam + mu
    return lam
