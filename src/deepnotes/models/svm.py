"""A linear support vector machine trained by subgradient descent on the hinge loss.

Syllabus: foundations.linear_svm. Notes: 000 L2.07; 001 S8.30 (named only).

    minimise  J(w, b) = ||w||^2 / 2 + C sum_n max(0, 1 - y_n (w^T x_n + b)),   y in {-1, +1}
    subgradient:  w - C sum_{n: margin < 1} y_n x_n,    -C sum_{n: margin < 1} y_n

The hinge is not differentiable at margin 1; any subgradient works. With steps lr_t = lr / sqrt(t)
and the average of the iterates, subgradient descent converges to the minimiser of this convex
objective. The bias is not penalised (LinearSVC penalises it slightly, via intercept_scaling).
Tests: sign agreement with sklearn.svm.LinearSVC(loss='hinge') (tests/models/test_svm.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..losses import hinge_loss, l2_penalty

__all__ = ["LinearSVM"]


@syllabus("foundations.linear_svm")
class LinearSVM(nn.Module):
    """f(x) = w^T x + b with nn.Linear's ``weight`` (1, in) and ``bias`` (1,); labels in {-1, +1}."""

    def __init__(self, in_features: int, C: float = 1.0, dtype: torch.dtype | None = None):
        super().__init__()
        expect(isinstance(in_features, int) and in_features >= 1, "in_features", "a positive int", in_features)
        expect(C > 0, "C", "a positive float", C)
        self.in_features, self.C = in_features, C
        self.weight = nn.Parameter(torch.zeros(1, in_features, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(1, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        """The decision function w^T x + b, shape (N,)."""
        expect(isinstance(x, Tensor) and x.dim() == 2 and x.shape[1] == self.in_features, "x",
               f"a tensor of shape (N, {self.in_features})", tuple(getattr(x, "shape", ())))
        return (x @ self.weight.T + self.bias).squeeze(-1)

    def predict(self, x: Tensor) -> Tensor:
        return torch.where(self(x) >= 0, 1, -1)

    def objective(self, x: Tensor, y: Tensor) -> Tensor:
        return l2_penalty(self.weight) + self.C * hinge_loss(self(x), y, reduction="sum")

    def fit(self, x: Tensor, y: Tensor, lr: float = 0.01, steps: int = 2000) -> list[float]:
        """Subgradient descent with lr / sqrt(t) steps; keeps the running average of the iterates."""
        self(x)
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1] and bool(((y == 1) | (y == -1)).all()),
               "y", f"labels in {{-1, +1}} of shape ({x.shape[0]},)", getattr(y, "shape", y))
        x = x.to(self.weight.dtype)
        avg = [p.detach().clone() for p in self.parameters()]
        curve = []
        for t in range(1, steps + 1):
            self.zero_grad(set_to_none=True)
            J = self.objective(x, y)
            J.backward()                                   # autograd picks a valid subgradient
            with torch.no_grad():
                for p, a in zip(self.parameters(), avg):
                    p -= lr / t ** 0.5 * p.grad
                    a += (p - a) / t                       # running mean of the iterates
            curve.append(J.item())
        with torch.no_grad():
            for p, a in zip(self.parameters(), avg):
                p.copy_(a)
        return curve
