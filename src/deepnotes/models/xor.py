"""XOR: the limit of a linear boundary, a feature transform, and a cascade of logistic units.

Syllabus: foundations.xor_feature_transform. Notes: 000 L2.87, L2.88, L2.89.

The four points (0,0), (1,1) -> class 0 and (0,1), (1,0) -> class 1 admit no line w^T x + b = 0
separating them, so logistic regression gets at most 3 of 4 right (75%). Mapping each point to
its distances from (0,0) and (1,1),

    phi(x) = (||x - (0,0)||, ||x - (1,1)||):   (0,0) -> (0, 1.41), (1,1) -> (1.41, 0),
                                               (0,1), (1,0) -> (1, 1)

makes them separable (x'_1 + x'_2 is 2 for class 1 and 1.41 for class 0). A cascade of logistic
units (two hidden sigmoids feeding a third) learns such a transform itself: a two-layer network.
Tests: best LR accuracy on XOR <= 75%, 100% after phi and for a trained cascade
(tests/models/test_xor.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..losses import binary_cross_entropy_with_logits

__all__ = ["xor_data", "xor_distance_features", "CascadedLogistic"]


@syllabus("foundations.xor_feature_transform")
def xor_data(dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor]:
    """x (4, 2) = the corners of the unit square, y (4,) = x_1 XOR x_2."""
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=dtype)
    return x, torch.tensor([0, 1, 1, 0])


@syllabus("foundations.xor_feature_transform")
def xor_distance_features(x: Tensor) -> Tensor:
    """(N, 2) -> (N, 2): Euclidean distances to (0, 0) and to (1, 1)."""
    expect(isinstance(x, Tensor) and x.dim() == 2 and x.shape[1] == 2, "x", "a tensor of shape (N, 2)",
           tuple(getattr(x, "shape", ())))
    anchors = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=x.dtype)
    return torch.cdist(x, anchors)                                  # (N, 2)


@syllabus("foundations.xor_feature_transform")
class CascadedLogistic(nn.Module):
    """sigmoid(v^T sigmoid(W x + c) + d): logistic units whose outputs feed another logistic unit."""

    def __init__(self, in_features: int = 2, hidden: int = 2, dtype: torch.dtype | None = None):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden, dtype=dtype)   # the learned feature transform
        self.out = nn.Linear(hidden, 1, dtype=dtype)                # logistic regression on it

    def transform(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.hidden(x))                        # (N, hidden)

    def forward(self, x: Tensor) -> Tensor:
        """The output logit, shape (N,)."""
        return self.out(self.transform(x)).squeeze(-1)

    def fit(self, x: Tensor, y: Tensor, lr: float = 0.1, steps: int = 2000) -> list[float]:
        """Adam on the mean BCE of the output unit; returns the loss curve."""
        opt = torch.optim.Adam(self.parameters(), lr=lr)
        curve = []
        for _ in range(steps):
            opt.zero_grad()
            loss = binary_cross_entropy_with_logits(self(x), y.to(x.dtype))
            loss.backward()
            opt.step()
            curve.append(loss.item())
        return curve
