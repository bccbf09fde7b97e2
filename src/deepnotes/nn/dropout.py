"""Inverted dropout.

Syllabus: training.dropout. Notes: 000 L2.16; 001 S8.03; 002 §4.6i; 003 L0.22.

    train:  m_i ~ Bernoulli(1 - p)  (keep with probability 1 - p)
            y_i = m_i x_i / (1 - p)          so E[y_i] = x_i
    eval:   y = x                            (nothing to rescale at test time)

p is the probability of dropping a unit (torch's convention, default 0.5). Errata: 002 says to
multiply the weights by 1/p at test time; the classic (non-inverted) rule multiplies by the keep
probability, and the inverted form used here needs no test-time change at all. 001 leaves out
the scaling and the eval behaviour. :func:`dropout_test_time_002` applies 002's rule so the
ensembles/dropout experiment can show how it inflates activations.
Same mask as torch.nn.functional.dropout under the same seed (tests/nn/test_dropout.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["inverted_dropout", "Dropout", "dropout_mask", "dropout_test_time_002"]


def _check_p(p: float) -> None:
    expect(isinstance(p, (int, float)) and 0.0 <= p <= 1.0, "p", "a drop probability in [0, 1]", p)


def dropout_mask(like: Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> Tensor:
    """Scaled keep mask m / (1 - p) with m ~ Bernoulli(1 - p), shaped and typed like ``like``."""
    _check_p(p)
    if p == 1.0:
        return torch.zeros_like(like)
    keep = torch.empty_like(like).bernoulli_(1.0 - p, generator=generator)   # (...,) in {0, 1}
    return keep.div_(1.0 - p)


@syllabus("training.dropout")
def inverted_dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: torch.Generator | None = None, mask: Tensor | None = None) -> Tensor:
    """Inverted dropout; ``mask`` (already scaled by 1/(1-p)) replaces the random draw when given."""
    _check_p(p)
    expect(input.is_floating_point(), "input", "a floating-point tensor", input.dtype, TypeError)
    if not training or p == 0.0:
        return input
    if mask is None:
        mask = dropout_mask(input, p, generator)
    else:
        expect(mask.shape == input.shape, "mask", f"shape {tuple(input.shape)}", tuple(mask.shape))
    return input.mul_(mask) if inplace else input * mask


def dropout_test_time_002(input: Tensor, p: float = 0.5) -> Tensor:
    """002's test-time rule for non-inverted dropout: multiply by 1/p (p = keep probability there).

    Non-inverted training outputs m * x, whose mean is p x; 002's rule returns x / p, which is
    1/p^2 times that mean (4x at p = 0.5). Shown for the errata, not for use.
    """
    expect(0.0 < p <= 1.0, "p", "a keep probability in (0, 1]", p)
    return input / p


@syllabus("training.dropout")
class Dropout(nn.Module):
    """torch.nn.Dropout's interface: ``Dropout(p=0.5, inplace=False)``; identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: torch.Generator | None = None):
        super().__init__()
        _check_p(p)
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input: Tensor) -> Tensor:
        return inverted_dropout(input, self.p, self.training, self.inplace, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
