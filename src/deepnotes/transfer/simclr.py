"""SimCLR: contrastive pretraining with two augmented views, an encoder and a projection head.

Syllabus: adaptation_ssl_meta.simclr. Notes: 003 L13.23, L13.28, L13.30, L13.32, L13.33; 002 §8.2l.

For a batch x_1..x_N draw two augmentations t, t' per image, h = g(t(x)) (encoder, kept) and
z = p(h) (MLP projection head, discarded after pretraining), minimise NT-Xent over the 2N views
(each view's positive is its sibling, the other 2N - 2 views are negatives), then evaluate g by a
linear probe or fine-tuning.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..core import expect, syllabus
from .nt_xent import nt_xent_loss

__all__ = ["SimCLR", "simclr_views"]


def simclr_views(x: torch.Tensor, augment: Callable[[torch.Tensor, torch.Generator | None], torch.Tensor],
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent augmentations of the same batch: (view1 (N, ...), view2 (N, ...)), row i paired."""
    return augment(x, generator), augment(x, generator)


@syllabus("adaptation_ssl_meta.simclr")
class SimCLR(nn.Module):
    """encoder g (B, ...) -> (B, H) and projection head p: H -> hidden -> proj_dim."""

    def __init__(self, encoder: nn.Module, feature_dim: int, proj_dim: int = 32, hidden: int = 64,
                 temperature: float = 0.5):
        super().__init__()
        expect(temperature > 0, "temperature", "a positive float", temperature)
        self.encoder = encoder
        self.projector = nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU(), nn.Linear(hidden, proj_dim))
        self.temperature = temperature

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder features h (B, H): what is kept after pretraining."""
        return self.encoder(x)

    def loss(self, view1: torch.Tensor, view2: torch.Tensor) -> torch.Tensor:
        z1 = self.projector(self.encoder(view1))                         # (N, P)
        z2 = self.projector(self.encoder(view2))                         # (N, P)
        return nt_xent_loss(z1, z2, self.temperature)
