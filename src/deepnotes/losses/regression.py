"""Regression losses: mean squared error, mean absolute error and Huber.

Syllabus: foundations.mse_loss, foundations.mae_loss, foundations.huber_loss.
Notes: 000 L1.07, L1.08, L2.58; 001 S3.04, S8.27, S8.28, S8.29; 002 §2.1b; 003 L0.17.

With residual r = yhat - y, per element:

    MSE    r^2                                   gradient 2 r / N under "mean"
    MAE    |r|                                   subgradient sign(r) / N (0 at r = 0)
    Huber  r^2 / 2           if |r| <= delta     quadratic near 0, linear in the tails,
           delta (|r| - delta / 2)  otherwise    derivative continuous at |r| = delta

MSE also applies to probability vectors (softmax output against a one-hot target), which is
how 000 L2.58 uses it. The constant minimising MAE is the median, the one minimising MSE the mean.
Equal to torch.nn.functional.mse_loss / l1_loss / huber_loss (tests/losses/test_regression.py).
"""
from __future__ import annotations

from torch import Tensor

from ..core import expect, syllabus
from .risk import check_same_shape, reduce_loss

__all__ = ["mse_loss", "l1_loss", "mae_loss", "huber_loss"]


@syllabus("foundations.mse_loss")
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error (yhat - y)^2, reduced over every element."""
    check_same_shape(input, target)
    return reduce_loss((input - target) ** 2, reduction)


@syllabus("foundations.mae_loss")
def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error |yhat - y| (torch's name is l1_loss; ``mae_loss`` is the same function)."""
    check_same_shape(input, target)
    return reduce_loss((input - target).abs(), reduction)


mae_loss = l1_loss


@syllabus("foundations.huber_loss")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: r^2/2 for |r| <= delta, delta(|r| - delta/2) beyond."""
    check_same_shape(input, target)
    expect(delta > 0, "delta", "a positive float", delta)
    r = (input - target).abs()
    loss = r.clamp(max=delta) * (r - 0.5 * r.clamp(max=delta))  # both branches in one expression
    return reduce_loss(loss, reduction)
