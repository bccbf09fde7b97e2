"""Temporal-order verification pretext task (shuffle and learn).

Syllabus: adaptation_ssl_meta.pretext_temporal_order. Notes: 003 L13.25.

Sample three frames (a, b, c) of a clip at increasing times. Positives keep that order (label 1);
negatives shuffle it to a non-monotone order such as (b, a, c) or (a, c, b) (label 0). A binary
classifier on the concatenated frame features learns motion without labels. ``moving_shape_clips``
makes the synthetic videos: a bright square moving with constant velocity.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["moving_shape_clips", "temporal_order_batch"]

_NEGATIVE_ORDERS = torch.tensor([[1, 0, 2], [0, 2, 1], [2, 1, 0], [1, 2, 0], [2, 0, 1]])


def moving_shape_clips(n: int, frames: int = 8, size: int = 12, generator: torch.Generator | None = None
                       ) -> torch.Tensor:
    """(n, T, 1, size, size) clips of a 3x3 square moving in a straight line (noise 0.05)."""
    expect(n >= 1, "n", "an int >= 1", n)
    g = generator
    start = torch.rand(n, 2, generator=g) * (size - 3)                  # (n, 2)
    vel = (torch.rand(n, 2, generator=g) - 0.5) * 2 * (size - 3) / (frames - 1)
    t = torch.arange(frames, dtype=torch.float32)
    pos = (start[:, None] + vel[:, None] * t[None, :, None]).clamp(0, size - 3).round().long()  # (n, T, 2)
    clips = 0.05 * torch.randn(n, frames, 1, size, size, generator=g)
    ar = torch.arange(size)
    r0, c0 = pos[..., 0, None], pos[..., 1, None]                        # (n, T, 1)
    rows = (ar >= r0) & (ar < r0 + 3)                                     # (n, T, size)
    cols = (ar >= c0) & (ar < c0 + 3)
    clips[:, :, 0] += (rows[..., :, None] & cols[..., None, :]).float()
    return clips


@syllabus("adaptation_ssl_meta.pretext_temporal_order")
def temporal_order_batch(clips: torch.Tensor, generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(triplets (N, 3, C, H, W), labels (N,)): half in temporal order (1), half shuffled (0).

    Exactly balanced: the first N // 2 drawn (after a random permutation) are positives.
    """
    N, T = clips.shape[:2]
    expect(T >= 3, "clips", "at least 3 frames per clip", T)
    g = generator
    idx = torch.stack([torch.randperm(T, generator=g)[:3].sort().values for _ in range(N)])  # (N, 3) increasing
    label = torch.zeros(N, dtype=torch.long)
    label[torch.randperm(N, generator=g)[: N - N // 2]] = 1
    neg = _NEGATIVE_ORDERS[torch.randint(len(_NEGATIVE_ORDERS), (N,), generator=g)]          # (N, 3)
    order = torch.where(label[:, None] == 1, torch.arange(3).expand(N, 3), neg)
    idx = idx.gather(1, order)                                           # (N, 3)
    return clips[torch.arange(N)[:, None], idx], label
