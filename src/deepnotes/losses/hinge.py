"""Hinge loss: the margin loss of the support vector machine.

Syllabus: foundations.hinge_loss. Notes: 001 S8.30 (named only).

Binary, with labels y in {-1, +1} and score f(x):

    l = max(0, 1 - y f(x))          zero once the margin y f(x) reaches 1

Multiclass (Crammer-Singer), with scores z (N, C) and class index y:

    l = max(0, 1 + max_{j != y} z_j - z_y)

Equal to sklearn.metrics.hinge_loss for both forms (tests/losses/test_hinge.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .risk import reduce_loss

__all__ = ["hinge_loss"]


@syllabus("foundations.hinge_loss")
def hinge_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Hinge loss of scores ``input``: (N,) with labels in {-1, +1}, or (N, C) with class indices."""
    expect(isinstance(input, Tensor) and input.dim() in (1, 2), "input",
           "scores of shape (N,) or (N, C)", getattr(input, "shape", input))
    expect(isinstance(target, Tensor) and target.shape == input.shape[:1], "target",
           f"shape {tuple(input.shape[:1])}", getattr(target, "shape", target))
    if input.dim() == 1:
        expect(bool(((target == 1) | (target == -1)).all()), "target", "labels in {-1, +1}",
               target.unique().tolist())
        return reduce_loss((1 - target.to(input.dtype) * input).clamp(min=0), reduction)
    expect(not target.is_floating_point(), "target", "integer class indices for (N, C) scores",
           target.dtype, TypeError)
    C = input.shape[1]
    expect(bool(((target >= 0) & (target < C)).all()), "target", f"class indices in [0, {C})",
           target.unique().tolist())
    true = input.gather(1, target[:, None]).squeeze(1)                      # (N,) z_y
    others = input.masked_fill(torch.nn.functional.one_hot(target, C).bool(), float("-inf"))
    runner_up = others.max(1).values                                        # (N,) max_{j!=y} z_j
    return reduce_loss((1 + runner_up - true).clamp(min=0), reduction)
