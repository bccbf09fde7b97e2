"""Kullback-Leibler divergence and the cross-entropy decomposition.

Syllabus: foundations.kl_divergence. Notes: 001 S8.33, S8.35, S8.36; 002 §8.3l; 003 L11G.28.

For distributions p (the target) and q (the model) over the same classes:

    KL(p || q) = sum_c p_c log(p_c / q_c)   >= 0, = 0 iff p = q, and KL(p||q) != KL(q||p)
    H(p, q)    = -sum_c p_c log q_c = H(p) + KL(p || q)

H(p) does not depend on q, so minimising cross-entropy in q is minimising KL in q, with the
same gradient. Terms with p_c = 0 count as 0 (0 log 0 = 0).

:func:`kl_div` keeps torch's convention: ``input`` is log q, ``target`` is p (or log p with
``log_target=True``), and ``reduction="batchmean"`` divides the sum by the batch size (the true
KL per example); ``"mean"`` averages over every element, as torch does.
:func:`kl_divergence` takes two probability tensors and returns KL per distribution.
Equal to torch.nn.functional.kl_div and scipy.special.rel_entr (tests/losses/test_kl.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .risk import check_same_shape, reduce_loss

__all__ = ["kl_div", "kl_divergence"]


@syllabus("foundations.kl_divergence")
def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise p (log p - log q) with ``input`` = log q; reductions as torch.nn.functional.kl_div."""
    check_same_shape(input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = torch.xlogy(target, target) - target * input  # 0 log 0 = 0
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() > 0 else 1)
    return reduce_loss(loss, reduction)


@syllabus("foundations.kl_divergence")
def kl_divergence(input: Tensor, target: Tensor, reduction: str = "none", dim: int = -1) -> Tensor:
    """KL(target || input) between probability tensors, summed over ``dim`` (one value per row).

    Argument order follows the loss convention (model first, target second):
    ``kl_divergence(q, p)`` is KL(p || q).
    """
    check_same_shape(input, target)
    expect(bool((input >= 0).all() and (target >= 0).all()), "input/target",
           "probabilities (non-negative)", (input.min().item(), target.min().item()))
    terms = torch.xlogy(target, target) - torch.xlogy(target, input)   # p log p - p log q
    return reduce_loss(terms.sum(dim), reduction)
