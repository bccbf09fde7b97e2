"""The perceptron: a threshold unit and its mistake-driven learning rule.

Syllabus: foundations.perceptron. Notes: 001 S2.01, S2.02; 000 L2.54.

    yhat = 1[w^T x + b > 0]
    on each example:  w <- w + lr (y - yhat) x,   b <- b + lr (y - yhat)

The update only fires on mistakes. If the classes are linearly separable the rule stops
after finitely many mistakes (Novikoff); otherwise (XOR) it cycles forever and at best 3 of the
4 XOR points are right. The learning rule is the standard one; the notes show only the unit.
Tests: converges on iris setosa vs versicolor, never beats 75% on XOR (tests/models/test_perceptron.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["Perceptron"]


@syllabus("foundations.perceptron")
class Perceptron(nn.Module):
    """Threshold unit with nn.Linear's ``weight`` (1, in) and ``bias`` (1,)."""

    def __init__(self, in_features: int, dtype: torch.dtype | None = None):
        super().__init__()
        expect(isinstance(in_features, int) and in_features >= 1, "in_features", "a positive int", in_features)
        self.in_features = in_features
        self.weight = nn.Parameter(torch.zeros(1, in_features, dtype=dtype), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(1, dtype=dtype), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        """The activation w^T x + b, shape (N,)."""
        expect(isinstance(x, Tensor) and x.dim() == 2 and x.shape[1] == self.in_features, "x",
               f"a tensor of shape (N, {self.in_features})", tuple(getattr(x, "shape", ())))
        return (x @ self.weight.T + self.bias).squeeze(-1)

    def predict(self, x: Tensor) -> Tensor:
        return (self(x) > 0).long()

    @torch.no_grad()
    def fit(self, x: Tensor, y: Tensor, lr: float = 1.0, max_epochs: int = 100,
            shuffle: bool = False, generator: torch.Generator | None = None) -> list[int]:
        """Run the rule epoch by epoch; returns mistakes per epoch and sets ``converged_``."""
        self(x)
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1] and bool(((y == 0) | (y == 1)).all()),
               "y", f"labels in {{0, 1}} of shape ({x.shape[0]},)", getattr(y, "shape", y))
        x = x.to(self.weight.dtype)
        mistakes = []
        self.converged_ = False
        for _ in range(max_epochs):
            order = torch.randperm(len(x), generator=generator) if shuffle else torch.arange(len(x))
            count = 0
            for i in order.tolist():
                err = float(y[i]) - float(self(x[i:i + 1]) > 0)      # y - yhat in {-1, 0, 1}
                if err:
                    self.weight += lr * err * x[i]
                    self.bias += lr * err
                    count += 1
            mistakes.append(count)
            if count == 0:
                self.converged_ = True
                break
        return mistakes
