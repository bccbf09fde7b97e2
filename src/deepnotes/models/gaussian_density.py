"""The multivariate Gaussian: log-density by Cholesky, and its maximum-likelihood fit.

Syllabus: foundations.gaussian_density, foundations.gaussian_mle.
Notes: 000 L2.65, L2.66; 003 L12.05.

    N(x; mu, S) = (2 pi)^(-D/2) |S|^(-1/2) exp(-(x - mu)^T S^-1 (x - mu) / 2)

With the Cholesky factor S = L L^T, solve L z = x - mu; then the quadratic form is ||z||^2 and
log |S| = 2 sum_i log L_ii, so nothing is inverted explicitly.

The MLE from N samples (000's example has N = 79) is the sample mean and the *biased* covariance:

    mu* = (1/N) sum_n x_n,     S* = (1/N) sum_n (x_n - mu*)(x_n - mu*)^T

Equal to scipy.stats.multivariate_normal.logpdf and numpy.cov(bias=True)
(tests/models/test_gaussian_density.py).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["gaussian_log_density", "gaussian_mle"]


@syllabus("foundations.gaussian_density")
def gaussian_log_density(x: Tensor, mean: Tensor, cov: Tensor) -> Tensor:
    """log N(x; mean, cov) for each row of ``x`` (N, D) -> (N,); ``cov`` (D, D) positive definite."""
    expect(isinstance(x, Tensor) and x.dim() == 2, "x", "a tensor of shape (N, D)", tuple(getattr(x, "shape", ())))
    D = x.shape[1]
    expect(mean.shape == (D,), "mean", f"shape ({D},)", tuple(mean.shape))
    expect(cov.shape == (D, D), "cov", f"shape ({D}, {D})", tuple(cov.shape))
    L, info = torch.linalg.cholesky_ex(cov)                            # (D, D) lower
    expect(int(info) == 0, "cov", "a symmetric positive-definite matrix", "a matrix Cholesky rejects")
    z = torch.linalg.solve_triangular(L, (x - mean).T, upper=False)    # (D, N)
    maha = (z ** 2).sum(0)                                             # (N,)
    log_det = 2 * L.diagonal().log().sum()
    return -0.5 * (D * math.log(2 * math.pi) + log_det + maha)


@syllabus("foundations.gaussian_mle")
def gaussian_mle(x: Tensor) -> tuple[Tensor, Tensor]:
    """(mu*, S*) maximising the likelihood of the rows of ``x`` (N, D): mean and 1/N covariance."""
    expect(isinstance(x, Tensor) and x.dim() == 2 and x.shape[0] >= 1, "x",
           "a tensor of shape (N, D) with N >= 1", tuple(getattr(x, "shape", ())))
    mu = x.mean(0)                                # (D,)
    centred = x - mu                              # (N, D)
    return mu, centred.T @ centred / x.shape[0]   # (D,), (D, D)
