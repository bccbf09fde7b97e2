"""Linear (and polynomial) regression: closed form, ridge, and gradient descent.

Syllabus: foundations.linear_model, foundations.l2_regularization.
Notes: 000 L1.02, L1.05, L1.22, L2.15; 001 S3.04, S8.05, S8.15, S8.16; 002 §2.1b, §2.3a-d.

    yhat = b + w^T x                                   one feature or many
    J(w, b) = (1/N) sum_n (yhat_n - y_n)^2              the MSE training objective
    closed form (least squares, bias column appended):  [w; b] = (X1^T X1)^-1 X1^T y
    ridge (L2, bias not penalised): centre x and y, then
        w = (Xc^T Xc + alpha I)^-1 Xc^T yc,   b = mean(y) - mean(x)^T w

Polynomial regression is the same model on the features (x, x^2, ..., x^d)
(:func:`polynomial_features`). The layer keeps torch.nn.Linear's parameter names and shapes
(``weight`` (out, in), ``bias`` (out,)), so ``load_state_dict`` works both ways.
Tests: GD and closed form equal numpy.linalg.lstsq, ridge equals sklearn Ridge
(tests/models/test_linear_regression.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["LinearRegression", "polynomial_features"]


def _check_xy(x: Tensor, y: Tensor | None, in_features: int) -> None:
    expect(isinstance(x, Tensor) and x.dim() == 2 and x.shape[1] == in_features, "x",
           f"a tensor of shape (N, {in_features})", tuple(getattr(x, "shape", ())))
    if y is not None:
        expect(isinstance(y, Tensor) and y.shape[0] == x.shape[0] and y.dim() in (1, 2), "y",
               f"targets of shape ({x.shape[0]},) or ({x.shape[0]}, out_features)",
               tuple(getattr(y, "shape", ())))


@syllabus("foundations.linear_model")
class LinearRegression(nn.Module):
    """yhat = x W^T + b with nn.Linear's parameters; fit by closed form or gradient descent."""

    def __init__(self, in_features: int, out_features: int = 1, bias: bool = True,
                 dtype: torch.dtype | None = None):
        super().__init__()
        expect(in_features >= 1, "in_features", "a positive int", in_features)
        expect(out_features >= 1, "out_features", "a positive int", out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.zeros(out_features, in_features, dtype=dtype))  # (out, in)
        self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype)) if bias else None  # (out,)

    def forward(self, x: Tensor) -> Tensor:
        _check_xy(x, None, self.in_features)
        y = x @ self.weight.T                             # (N, out)
        return y + self.bias if self.bias is not None else y

    @torch.no_grad()
    @syllabus("foundations.l2_regularization")
    def fit_closed_form(self, x: Tensor, y: Tensor, alpha: float = 0.0) -> "LinearRegression":
        """Least squares (alpha = 0) or ridge: minimise ||y - yhat||^2 + alpha ||W||^2 exactly."""
        _check_xy(x, y, self.in_features)
        expect(alpha >= 0, "alpha", "a non-negative float", alpha)
        y2 = y.reshape(len(y), -1).to(self.weight.dtype)  # (N, out)
        x = x.to(self.weight.dtype)
        if self.bias is not None:
            x_mean, y_mean = x.mean(0), y2.mean(0)
            x, y2 = x - x_mean, y2 - y_mean               # the intercept absorbs the means
        gram = x.T @ x + alpha * torch.eye(self.in_features, dtype=x.dtype)  # (in, in)
        w = torch.linalg.lstsq(gram, x.T @ y2).solution if alpha == 0 else torch.linalg.solve(gram, x.T @ y2)
        self.weight.copy_(w.T)                            # (out, in)
        if self.bias is not None:
            self.bias.copy_(y_mean - x_mean @ w)
        return self

    def fit_gd(self, x: Tensor, y: Tensor, lr: float = 0.1, steps: int = 1000, loss: str = "mse",
               callback=None) -> list[float]:
        """Full-batch gradient descent on MSE or MAE; returns the loss curve.

        ``callback(step, model, loss)`` sees every step (for drawing the descent path).
        """
        from ..losses import l1_loss, mse_loss

        _check_xy(x, y, self.in_features)
        expect(loss in ("mse", "mae"), "loss", "'mse' or 'mae'", loss)
        expect(lr > 0 and steps >= 1, "lr/steps", "lr > 0 and steps >= 1", (lr, steps))
        fn = mse_loss if loss == "mse" else l1_loss
        y2 = y.reshape(len(y), -1).to(self.weight.dtype)
        x = x.to(self.weight.dtype)
        curve = []
        for step in range(steps):
            value = fn(self(x), y2)
            self.zero_grad(set_to_none=True)
            value.backward()
            with torch.no_grad():
                for p in self.parameters():
                    p -= lr * p.grad
            curve.append(value.item())
            if callback is not None:
                callback(step, self, value.item())
        return curve


@syllabus("foundations.linear_model")
def polynomial_features(x: Tensor, degree: int) -> Tensor:
    """(N,) or (N, 1) -> (N, degree) with columns x, x^2, ..., x^degree (degree 0 -> (N, 0))."""
    expect(isinstance(degree, int) and degree >= 0, "degree", "a non-negative int", degree)
    expect(isinstance(x, Tensor) and (x.dim() == 1 or (x.dim() == 2 and x.shape[1] == 1)), "x",
           "a 1-D input of shape (N,) or (N, 1)", tuple(getattr(x, "shape", ())))
    x = x.reshape(-1, 1)                                   # (N, 1)
    return x ** torch.arange(1, degree + 1, device=x.device, dtype=x.dtype)  # (N, degree)
