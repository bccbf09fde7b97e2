"""Logistic regression (two classes) and softmax regression (K classes).

Syllabus: foundations.logistic_regression, foundations.softmax_regression.
Notes: 000 L1.03, L2.75-L2.77, L2.80, L2.85; 001 S8.23; 002 §3.1b.

Two classes, y in {0, 1}:

    f(x) = sigmoid(w^T x + b) = P(C1 | x),    predict C1 iff f(x) >= 0.5
    L(w, b) = (1/N) sum_n BCE(f(x_n), y_n)   convex in (w, b)
    dL/dw_i = -(1/N) sum_n (y_n - f(x_n)) x_n,i,   dL/db = -(1/N) sum_n (y_n - f(x_n))

K classes: z_k = w_k^T x + b_k, yhat = softmax(z), L = mean cross-entropy against the label.
Both fit by full-batch gradient descent; ``weight_decay`` adds (weight_decay / 2) ||W||^2
(the bias is not penalised), which is scikit-learn's objective with C = 1 / (weight_decay N).
Errata: 000 L2.80 writes f in {0, 1}; only the prediction is binary, f lies in (0, 1).
Parameters are nn.Linear's ``weight`` (out, in) and ``bias`` (out,).
Tests: the GD solution equals sklearn LogisticRegression (tests/models/test_logistic_regression.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..losses import binary_cross_entropy_with_logits, cross_entropy, l2_penalty

__all__ = ["LogisticRegression", "SoftmaxRegression"]


class _LinearScorer(nn.Module):
    def __init__(self, in_features: int, out_features: int, dtype: torch.dtype | None = None):
        super().__init__()
        expect(isinstance(in_features, int) and in_features >= 1, "in_features", "a positive int", in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.zeros(out_features, in_features, dtype=dtype))  # (out, in)
        self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype))                  # (out,)

    def _check_x(self, x: Tensor) -> None:
        expect(isinstance(x, Tensor) and x.dim() == 2 and x.shape[1] == self.in_features, "x",
               f"a tensor of shape (N, {self.in_features})", tuple(getattr(x, "shape", ())))

    def _loss(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def fit(self, x: Tensor, y: Tensor, lr: float = 0.5, steps: int = 5000, weight_decay: float = 0.0,
            tol: float = 0.0, callback=None) -> list[float]:
        """Full-batch gradient descent; stops early when the gradient's max-norm is <= ``tol``."""
        self._check_x(x)
        expect(lr > 0 and steps >= 1, "lr/steps", "lr > 0 and steps >= 1", (lr, steps))
        x = x.to(self.weight.dtype)
        opt = torch.optim.SGD(self.parameters(), lr=lr)
        curve = []
        for step in range(steps):
            opt.zero_grad()
            loss = self._loss(x, y)
            if weight_decay:
                loss = loss + weight_decay * l2_penalty(self.weight)
            loss.backward()
            curve.append(loss.item())
            if callback is not None:
                callback(step, self, loss.item())
            if tol and max(p.grad.abs().max().item() for p in self.parameters()) <= tol:
                break
            opt.step()
        return curve


@syllabus("foundations.logistic_regression")
class LogisticRegression(_LinearScorer):
    """P(C1 | x) = sigmoid(w^T x + b); ``forward`` returns the logit (N,)."""

    def __init__(self, in_features: int, dtype: torch.dtype | None = None):
        super().__init__(in_features, 1, dtype)

    def forward(self, x: Tensor) -> Tensor:
        self._check_x(x)
        return (x @ self.weight.T + self.bias).squeeze(-1)   # (N,)

    def predict_proba(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self(x))

    def predict(self, x: Tensor) -> Tensor:
        return (self.predict_proba(x) >= 0.5).long()

    def _check_y(self, x: Tensor, y: Tensor) -> Tensor:
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1] and bool(((y == 0) | (y == 1)).all()),
               "y", f"labels in {{0, 1}} of shape ({x.shape[0]},)", getattr(y, "shape", y))
        return y.to(self.weight.dtype)

    def _loss(self, x: Tensor, y: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(self(x), self._check_y(x, y))

    @torch.no_grad()
    def gradient(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """The analytic gradient of the mean BCE: (-(1/N) sum (y - f) x, -(1/N) sum (y - f))."""
        x = x.to(self.weight.dtype)
        residual = self._check_y(x, y) - self.predict_proba(x)   # (N,) y - f(x)
        return -(residual @ x)[None] / len(x), -residual.mean().reshape(1)


@syllabus("foundations.softmax_regression")
class SoftmaxRegression(_LinearScorer):
    """z = W x + b, P(C_k | x) = softmax(z)_k; ``forward`` returns the logits (N, K)."""

    def __init__(self, in_features: int, num_classes: int, dtype: torch.dtype | None = None):
        expect(isinstance(num_classes, int) and num_classes >= 2, "num_classes", "an int >= 2", num_classes)
        super().__init__(in_features, num_classes, dtype)

    def forward(self, x: Tensor) -> Tensor:
        self._check_x(x)
        return x @ self.weight.T + self.bias                  # (N, K)

    def predict_proba(self, x: Tensor) -> Tensor:
        return torch.softmax(self(x), -1)

    def predict(self, x: Tensor) -> Tensor:
        return self(x).argmax(-1)

    def _loss(self, x: Tensor, y: Tensor) -> Tensor:
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1] and not y.is_floating_point(), "y",
               f"integer class indices of shape ({x.shape[0]},)", getattr(y, "shape", y))
        return cross_entropy(self(x), y)
