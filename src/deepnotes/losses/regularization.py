"""Weight penalties: L2 (ridge, weight decay, Gaussian prior) and L1 (lasso, sparsity).

Syllabus: foundations.l2_regularization, foundations.l1_regularization.
Notes: 000 L2.15; 001 S8.05, S8.15, S8.16, S8.17; 002 §2.3a, §2.3b, §2.3d.

    L2:  J = L + lam * ||w||^2 / 2        gradient adds lam * w  (plain SGD: weight decay)
    L1:  J = L + lam * sum_j |w_j|        subgradient adds lam * sign(w)

MAP with a Gaussian prior N(0, s^2 I) adds -log N(theta; 0, s^2 I) = ||theta||^2 / (2 s^2) + const
to the NLL, i.e. L2 with lam = 1 / s^2 (on this module's ||w||^2 / 2 scale). 001 writes the
coefficient as lam / 2m and lam / m (penalty divided by the batch size m): pass lam / m.
Biases are usually left out: pass only the weights.

The L1 penalty is not differentiable at 0; its proximal operator is the soft threshold

    prox_{t |.|}(v) = sign(v) max(|v| - t, 0)

which sets small coordinates exactly to zero. That is why L1 yields sparse weights; 001's claim
that L1 weights are "never reduced to zero" is wrong (the overfitting-remedies experiment counts
the zeros). Errata: 002 writes the MAP loss as NLL - lam ||theta||^2; the sign must be +.
Tests: tests/losses/test_regularization.py (SGD weight_decay equivalence, prox against Lasso).
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["l2_penalty", "l1_penalty", "soft_threshold"]


def _as_list(params: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [params] if isinstance(params, Tensor) else list(params)
    expect(len(params) > 0 and all(isinstance(p, Tensor) for p in params), "params",
           "a tensor or a non-empty iterable of tensors", params)
    return params


@syllabus("foundations.l2_regularization")
def l2_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """||w||^2 / 2 summed over ``params``; multiply by lam and add to the loss."""
    return sum(0.5 * (p ** 2).sum() for p in _as_list(params))


@syllabus("foundations.l1_regularization")
def l1_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """sum |w| over ``params``; multiply by lam and add to the loss."""
    return sum(p.abs().sum() for p in _as_list(params))


@syllabus("foundations.l1_regularization")
def soft_threshold(input: Tensor, threshold: float) -> Tensor:
    """The proximal operator of threshold * ||.||_1: sign(v) max(|v| - threshold, 0)."""
    expect(threshold >= 0, "threshold", "a non-negative float", threshold)
    return torch.sign(input) * (input.abs() - threshold).clamp(min=0)
