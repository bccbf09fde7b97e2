"""Progressive growing of GANs: fade a new higher-resolution stage in.

Syllabus: generative.progressive_gan. Notes: 001 S16.22; 002 §8.6j.

Training starts at 4x4 and doubles the resolution stage by stage. While a new block is added:
    out = (1 - alpha) * upsample(toRGB_old(h)) + alpha * toRGB_new(block(upsample(h))),  alpha: 0 -> 1
so at alpha = 0 the network is exactly the previous stage (upsampled) and at alpha = 1 the old
path no longer contributes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["ProgressiveGenerator"]


@syllabus("generative.progressive_gan")
class ProgressiveGenerator(nn.Module):
    """z (B, latent_dim) -> image (B, out_channels, 4*2^stage, 4*2^stage) with fade-in ``alpha``."""

    def __init__(self, latent_dim: int, channels: int = 32, max_stage: int = 1, out_channels: int = 1):
        super().__init__()
        self.latent_dim, self.channels, self.max_stage = latent_dim, channels, max_stage
        self.stem = nn.Linear(latent_dim, channels * 16)                    # -> (B, C, 4, 4)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.LeakyReLU(0.2))
                                    for _ in range(max_stage))
        self.to_rgb = nn.ModuleList(nn.Conv2d(channels, out_channels, 1) for _ in range(max_stage + 1))

    def forward(self, z: torch.Tensor, stage: int = 0, alpha: float = 1.0) -> torch.Tensor:
        expect(0 <= stage <= self.max_stage, "stage", f"an int in [0, {self.max_stage}]", stage)
        expect(0.0 <= alpha <= 1.0, "alpha", "a float in [0, 1]", alpha)
        h = F.leaky_relu(self.stem(z), 0.2).view(-1, self.channels, 4, 4)   # (B, C, 4, 4)
        for s in range(stage):
            up = F.interpolate(h, scale_factor=2, mode="nearest")            # (B, C, 2H, 2W)
            if s == stage - 1:
                old = F.interpolate(self.to_rgb[s](h), scale_factor=2, mode="nearest")
                new = self.to_rgb[s + 1](self.blocks[s](up))
                return (1 - alpha) * old + alpha * new
            h = self.blocks[s](up)
        return self.to_rgb[0](h)
