"""Local response normalisation across channels (AlexNet's NORM layer; replaced by BatchNorm today).

Syllabus: cnn.local_response_norm. Notes: 002 §5.1k.

    b_c = a_c / (k + (alpha / n) * sum_{c' = c - n/2}^{c + n/2} a_{c'}^2)^beta

with n = 5 neighbouring channels (zero outside the range), alpha = 1e-4, beta = 0.75, k = 2.
torch divides alpha by n as written here (the AlexNet paper folds n into alpha).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["LocalResponseNorm"]


@syllabus("cnn.local_response_norm")
class LocalResponseNorm(nn.Module):
    """torch.nn.LocalResponseNorm's arguments (size, alpha, beta, k), from the definition."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0):
        super().__init__()
        expect(size >= 1, "size", "a positive int", size)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        expect(input.dim() >= 3, "input", "a (B, C, ...) tensor with at least 3 dims", tuple(input.shape))
        sq = input.pow(2)                                        # (B, C, ...)
        C = input.shape[1]
        lo, hi = self.size // 2, (self.size - 1) // 2
        padded = F.pad(sq.movedim(1, -1), (lo, hi))              # (B, ..., C + size - 1)
        window = padded.unfold(-1, self.size, 1).sum(-1).movedim(-1, 1)   # (B, C, ...)
        return input / (self.k + self.alpha / self.size * window).pow(self.beta)
