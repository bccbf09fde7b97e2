"""Feature disentanglement: a content code and a style code from two encoders, swapped at decode time.

Syllabus: generative.feature_disentanglement. Notes: 000 L8.07-L8.08.

    z = [z_content ; z_style],  z_content = E_c(x),  z_style = E_s(x),  x^ = D([z_c ; z_s])
    conversion: D([E_c(a) ; E_s(b)]) renders a's content in b's style.

The split is enforced here by grouped (weak) supervision, one of the constraints the notes allow:
with x_{i,s} base image i drawn in style s, the decoder must rebuild x_{i,s} from
    [E_c(x_{i,s'}) ; E_s(x_{i,s})]   (content from another style of the same image)  and
    [E_c(x_{i,s}) ; E_s(x_{j,s})]    (style from another image in the same style),
so z_style cannot carry which image it is and z_content cannot carry the style.
``two_factor_digits`` builds the synthetic data: digits x {shift left/right} x {stroke intensity}.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from ..nn import MLP

__all__ = ["two_factor_digits", "DisentangledAutoencoder"]

NUM_STYLES = 4


def two_factor_digits(images: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Render 8x8 images (N, 8, 8) in style s in {0..3}: shift = s % 2 (0 left, 1 right, on a
    10-wide canvas), intensity = 1.0 if s < 2 else 0.4. Returns (N, 80)."""
    expect(images.dim() == 3 and images.shape[1:] == (8, 8), "images", "(N, 8, 8)", tuple(images.shape))
    expect(bool(((style >= 0) & (style < NUM_STYLES)).all()), "style", "ints in 0..3", style)
    canvas = torch.zeros(len(images), 8, 10)
    left = F.pad(images, (0, 2))                                            # (N, 8, 10)
    right = F.pad(images, (2, 0))
    shift = (style % 2 == 1).view(-1, 1, 1)
    canvas = torch.where(shift, right, left)
    intensity = torch.where(style < 2, 1.0, 0.4).view(-1, 1, 1)
    return (canvas * intensity).flatten(1)                                  # (N, 80)


@syllabus("generative.feature_disentanglement")
class DisentangledAutoencoder(nn.Module):
    def __init__(self, in_features: int, content_features: int = 16, style_features: int = 2,
                 hidden_features: Sequence[int] = (128,), generator: torch.Generator | None = None):
        super().__init__()
        hidden = list(hidden_features)
        self.content_encoder = MLP(in_features, hidden, content_features, generator=generator)
        self.style_encoder = MLP(in_features, hidden, style_features, generator=generator)
        self.decoder = MLP(content_features + style_features, hidden[::-1], in_features, generator=generator)

    def decode(self, z_content: torch.Tensor, z_style: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([z_content, z_style], -1))           # (B, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.content_encoder(x), self.style_encoder(x))

    def convert(self, content_from: torch.Tensor, style_from: torch.Tensor) -> torch.Tensor:
        return self.decode(self.content_encoder(content_from), self.style_encoder(style_from))

    def grouped_loss(self, x: torch.Tensor, x_same_image: torch.Tensor, x_same_style: torch.Tensor) -> torch.Tensor:
        """x = x_{i,s}; x_same_image = x_{i,s'}; x_same_style = x_{j,s}; all (B, D)."""
        zc, zs = self.content_encoder(x), self.style_encoder(x)
        rec_self = F.mse_loss(self.decode(zc, zs), x)
        rec_c = F.mse_loss(self.decode(self.content_encoder(x_same_image), zs), x)
        rec_s = F.mse_loss(self.decode(zc, self.style_encoder(x_same_style)), x)
        return rec_self + rec_c + rec_s
