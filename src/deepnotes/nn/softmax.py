"""Softmax and log-softmax: turning scores into a categorical distribution.

Syllabus: foundations.softmax. Notes: 000 L2.57, L2.86; 001 S8.24, S8.25; 002 §5.1m, P3;
003 L0.01.

    softmax(z)_i     = exp(z_i - m) / sum_j exp(z_j - m),   m = max_j z_j
    log_softmax(z)_i = z_i - logsumexp(z) = (z_i - m) - log sum_j exp(z_j - m)

Subtracting the maximum changes nothing mathematically (softmax is invariant to adding a
constant to every score) but keeps exp from overflowing, so logits of 1e4 stay finite. A boolean
``mask`` (True = keep) sets excluded scores to -inf before normalising, as attention does. With
two classes, softmax([x, 0])_0 = 1 / (1 + exp(-x)) = sigmoid(x): logistic regression is the
two-class softmax regression. Errata: 001 reuses the index j for the sum and the output.

``Softmax(dim)`` / ``LogSoftmax(dim)`` match torch.nn's modules; ``deepnotes.nn.softmax`` and
``deepnotes.nn.log_softmax`` are the functions. Equal to torch.softmax / log_softmax
(tests/nn/test_softmax.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["Softmax", "LogSoftmax", "softmax", "log_softmax"]


def _masked(input: Tensor, mask: Tensor | None) -> Tensor:
    expect(isinstance(input, Tensor), "input", "a torch.Tensor", type(input).__name__, TypeError)
    if mask is None:
        return input
    expect(mask.dtype == torch.bool, "mask", "a bool tensor (True = keep)", mask.dtype, TypeError)
    return input.masked_fill(~mask, float("-inf"))


@syllabus("foundations.softmax")
def softmax(input: Tensor, dim: int = -1, mask: Tensor | None = None) -> Tensor:
    """exp(z - max z) / sum exp(z - max z) along ``dim``; ``mask`` False entries get probability 0."""
    z = _masked(input, mask)
    m = z.amax(dim, keepdim=True).detach()               # the shift; gradient-free, cancels out
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    e = (z - m).exp()
    return e / e.sum(dim, keepdim=True)


@syllabus("foundations.softmax")
def log_softmax(input: Tensor, dim: int = -1, mask: Tensor | None = None) -> Tensor:
    """z - logsumexp(z) along ``dim`` (stable); masked entries are -inf."""
    z = _masked(input, mask)
    m = z.amax(dim, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    return (z - m) - (z - m).exp().sum(dim, keepdim=True).log()


@syllabus("foundations.softmax")
class Softmax(nn.Module):
    """Softmax over ``dim`` as a layer (torch.nn.Softmax's constructor)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, input: Tensor, mask: Tensor | None = None) -> Tensor:
        return softmax(input, self.dim, mask)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


@syllabus("foundations.softmax")
class LogSoftmax(nn.Module):
    """Log-softmax over ``dim`` as a layer (torch.nn.LogSoftmax's constructor)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, input: Tensor, mask: Tensor | None = None) -> Tensor:
        return log_softmax(input, self.dim, mask)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
