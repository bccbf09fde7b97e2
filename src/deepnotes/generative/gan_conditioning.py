"""Injecting a condition into a network: concatenation, channel broadcasting, FiLM.

Syllabus: generative.condition_injection, generative.film. Notes: 001 S16.31-S16.33.

    dense:  h' = concat(h, onehot(c))                               (B, F + K)
    conv:   tile the label vector over H x W and append it as channels  (B, C + K, H, W)
    FiLM:   gamma(c), beta(c) in R^C from the condition; y = gamma * h + beta per channel.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["concat_condition", "broadcast_condition", "FiLM"]


def _as_vector(c: torch.Tensor, num_classes: int | None) -> torch.Tensor:
    if c.ndim == 1:
        expect(num_classes is not None, "num_classes", "an int for integer labels", num_classes)
        return F.one_hot(c.long(), num_classes).float()                     # (B, K)
    return c


@syllabus("generative.condition_injection")
def concat_condition(h: torch.Tensor, c: torch.Tensor, num_classes: int | None = None) -> torch.Tensor:
    """(B, F) features and labels (B,) or vectors (B, K) -> (B, F + K)."""
    c = _as_vector(c, num_classes).to(h.dtype)
    expect(h.ndim == 2 and c.shape[0] == h.shape[0], "c", f"{h.shape[0]} conditions", tuple(c.shape))
    return torch.cat([h, c], dim=1)


@syllabus("generative.condition_injection")
def broadcast_condition(h: torch.Tensor, c: torch.Tensor, num_classes: int | None = None) -> torch.Tensor:
    """(B, C, H, W) feature maps and labels -> (B, C + K, H, W), the label tiled at every position."""
    expect(h.ndim == 4, "h", "a (B, C, H, W) tensor", tuple(h.shape))
    c = _as_vector(c, num_classes).to(h.dtype)
    expect(c.shape[0] == h.shape[0], "c", f"{h.shape[0]} conditions", tuple(c.shape))
    tiled = c[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])      # (B, K, H, W)
    return torch.cat([h, tiled], dim=1)


@syllabus("generative.film")
class FiLM(nn.Module):
    """y = gamma(c) * h + beta(c) per channel, gamma/beta linear in the condition vector.

    Initialised at gamma = 1, beta = 0 (identity). ``h`` is (B, C) or (B, C, *spatial)."""

    def __init__(self, cond_features: int, num_channels: int):
        super().__init__()
        self.num_channels = num_channels
        self.proj = nn.Linear(cond_features, 2 * num_channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        expect(h.ndim >= 2 and h.shape[1] == self.num_channels, "h", f"(B, {self.num_channels}, ...)",
               tuple(h.shape))
        gamma, beta = self.proj(cond).chunk(2, dim=-1)                      # (B, C) each
        gamma = 1 + gamma
        shape = (h.shape[0], self.num_channels) + (1,) * (h.ndim - 2)
        return gamma.view(shape) * h + beta.view(shape)
