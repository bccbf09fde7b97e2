"""Binary cross-entropy, on probabilities and (stably) on logits.

Syllabus: foundations.binary_cross_entropy. Notes: 000 L2.79; 001 S3.03, S8.31; 002 P5;
003 L11G.06.

The Bernoulli negative log-likelihood of a label y in [0, 1] under p = sigmoid(z):

    BCE = -[y log p + (1 - y) log(1 - p)]
        = softplus(z) - y z              (since log sigmoid(z) = -softplus(-z))

The second line never forms sigmoid(z), so it stays finite at z = +-100 where log(1 - p)
would be log 0. dBCE/dz = sigmoid(z) - y. ``pos_weight`` scales the positive term and
``weight`` every element, as in torch. On probabilities, the logs are clamped at -100 as torch
does. Equal to torch's binary_cross_entropy(_with_logits) (tests/losses/test_bce.py).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ..core import expect, syllabus
from .risk import check_same_shape, reduce_loss

__all__ = ["binary_cross_entropy_with_logits", "binary_cross_entropy"]


@syllabus("foundations.binary_cross_entropy")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of logits: pos_weight * y * softplus(-z) + (1 - y) * softplus(z), times ``weight``."""
    check_same_shape(input, target)
    pos = F.softplus(-input)                    # -log sigmoid(z)
    neg = F.softplus(input)                     # -log(1 - sigmoid(z))
    if pos_weight is not None:
        pos = pos * pos_weight
    loss = target * pos + (1 - target) * neg
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)


@syllabus("foundations.binary_cross_entropy")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities ``input`` in [0, 1]; logs clamped at -100 (prefer the logits form)."""
    check_same_shape(input, target)
    expect(bool(((input >= 0) & (input <= 1)).all()), "input", "probabilities in [0, 1]",
           (input.min().item(), input.max().item()))
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)
