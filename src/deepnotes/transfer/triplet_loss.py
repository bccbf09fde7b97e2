"""Triplet loss: pull the positive closer to the anchor than the negative by a margin.

Syllabus: adaptation_ssl_meta.triplet_loss. Notes: 003 L13.20.

    l(a, p, n) = max(0, |f(a) - f(p)|_2 - |f(a) - f(n)|_2 + m),  m = 1, averaged over the batch.

Same definition (and the same eps = 1e-6 inside the norms) as torch.nn.TripletMarginLoss(p=2).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["triplet_loss"]


@syllabus("adaptation_ssl_meta.triplet_loss")
def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
                 margin: float = 1.0, eps: float = 1e-6) -> torch.Tensor:
    """Mean hinge on (d(a, p) - d(a, n) + margin) for embeddings of shape (B, D)."""
    expect(anchor.shape == positive.shape == negative.shape, "positive/negative",
           f"the anchor's shape {tuple(anchor.shape)}", (tuple(positive.shape), tuple(negative.shape)))
    expect(margin >= 0, "margin", "a non-negative float", margin)
    d_ap = (anchor - positive + eps).norm(dim=-1)                        # (B,)
    d_an = (anchor - negative + eps).norm(dim=-1)                        # (B,)
    return (d_ap - d_an + margin).clamp_min(0).mean()
