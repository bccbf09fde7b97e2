"""The 0-1 loss: counting mistakes.

Syllabus: foundations.zero_one_loss. Notes: 000 L2.55; 001 S8.40; 003 L0.16.

    L01 = sum_n 1[f(x_n) != y_n]       accuracy = 1 - L01 / N,  error rate = L01 / N

It is piecewise constant in the parameters (gradient 0 almost everywhere), so it evaluates a
classifier but cannot train one by gradient descent; the surrogate losses (cross-entropy, hinge)
are what gets minimised. The default ``reduction="sum"`` is the count L01; ``"mean"`` is the
error rate. Accuracy lives in deepnotes.metrics.classification.
Equal to sklearn.metrics.zero_one_loss (tests/losses/test_zero_one.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .risk import reduce_loss

__all__ = ["zero_one_loss"]


@syllabus("foundations.zero_one_loss")
def zero_one_loss(input: Tensor, target: Tensor, reduction: str = "sum") -> Tensor:
    """1[prediction != label] per example; ``input`` holds predicted labels shaped like ``target``."""
    expect(isinstance(input, Tensor) and isinstance(target, Tensor) and input.shape == target.shape,
           "input", f"predicted labels shaped like target {tuple(getattr(target, 'shape', ()))}",
           getattr(input, "shape", input))
    dtype = input.dtype if input.is_floating_point() else torch.get_default_dtype()
    return reduce_loss((input != target).to(dtype), reduction)
