"""Lasso: L1-regularised least squares by proximal gradient (FISTA).

Syllabus: foundations.l1_regularization. Notes: 001 S8.17.

    minimise  (1/2N) ||y - X w - b||^2 + alpha ||w||_1          (scikit-learn's scaling)

The smooth part has gradient -(1/N) X^T (y - X w) with Lipschitz constant L = s_max(X)^2 / N.
A proximal step takes a gradient step and then soft-thresholds:

    w <- soft_threshold(v - grad(v) / L, alpha / L)

FISTA adds Nesterov momentum on v. The soft threshold puts coordinates exactly at zero, so large
alpha gives sparse solutions (001 claims L1 never zeroes weights; it does). The intercept is
not penalised: x and y are centred first.
Equal to sklearn.linear_model.Lasso (tests/models/test_lasso.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from ..losses.regularization import soft_threshold

__all__ = ["Lasso"]


@syllabus("foundations.l1_regularization")
class Lasso:
    """Estimator with ``fit(x, y)``/``predict(x)``; ``coef_`` (D,) and ``intercept_`` after fitting."""

    def __init__(self, alpha: float = 1.0, max_iter: int = 50000, tol: float = 1e-12):
        expect(alpha >= 0, "alpha", "a non-negative float", alpha)
        self.alpha, self.max_iter, self.tol = alpha, max_iter, tol

    def fit(self, x: Tensor, y: Tensor) -> "Lasso":
        expect(isinstance(x, Tensor) and x.dim() == 2, "x", "a tensor of shape (N, D)",
               tuple(getattr(x, "shape", ())))
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1], "y", f"shape ({x.shape[0]},)",
               tuple(getattr(y, "shape", ())))
        x, y = x.double(), y.double()
        x_mean, y_mean = x.mean(0), y.mean()
        xc, yc = x - x_mean, y - y_mean                     # (N, D), (N,)
        N = len(y)
        L = torch.linalg.matrix_norm(xc, ord=2) ** 2 / N    # Lipschitz constant of the gradient
        w = torch.zeros(x.shape[1], dtype=x.dtype)
        v, t = w.clone(), 1.0
        for self.n_iter_ in range(1, self.max_iter + 1):
            grad = -xc.T @ (yc - xc @ v) / N                # (D,)
            w_new = soft_threshold(v - grad / L, self.alpha / L)
            t_new = (1 + (1 + 4 * t * t) ** 0.5) / 2
            v = w_new + (t - 1) / t_new * (w_new - w)        # Nesterov extrapolation
            done = (w_new - w).abs().max() <= self.tol
            w, t = w_new, t_new
            if done:
                break
        self.coef_ = w
        self.intercept_ = y_mean - x_mean @ w
        return self

    def predict(self, x: Tensor) -> Tensor:
        expect(hasattr(self, "coef_"), "self", "a fitted Lasso (call fit first)", "unfitted", RuntimeError)
        return x.double() @ self.coef_ + self.intercept_
