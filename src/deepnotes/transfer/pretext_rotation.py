"""Rotation-prediction pretext task: rotate by k * 90 degrees, predict k.

Syllabus: adaptation_ssl_meta.pretext_rotation. Notes: 003 L13.24.

From unlabelled images x, draw k ~ U{0, 1, 2, 3}, form x' = rot90(x, k) and train a 4-way
classifier on (x', k). The labels are free; the encoder learns orientation-aware features that
a linear probe then reads out for the real task.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["rotation_pretext_batch"]


@syllabus("adaptation_ssl_meta.pretext_rotation")
def rotation_pretext_batch(x: torch.Tensor, generator: torch.Generator | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """(x', k): each image of x (N, C, H, W) rotated counter-clockwise by k * 90 degrees, k in 0..3."""
    expect(x.dim() == 4 and x.shape[-1] == x.shape[-2], "x", "square images (N, C, H, H)", tuple(x.shape))
    k = torch.randint(4, (len(x),), generator=generator)                  # (N,)
    out = torch.empty_like(x)
    for r in range(4):
        m = k == r
        out[m] = torch.rot90(x[m], r, dims=(-2, -1))                      # (n_r, C, H, W)
    return out, k
