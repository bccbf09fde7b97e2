"""Latent diffusion: train an autoencoder first, then run diffusion on its codes.

Syllabus: generative.latent_diffusion. Notes: 003 L12D.12.

    z_0 = E(x) / c       (c: the codes' std, so z_0 has roughly unit scale)
    train eps_theta on z_0 with the DDPM loss; sample z_0 by the reverse process; x = D(c z_0)
Each denoising step costs what the denoiser costs on a latent of size k, not on the D pixels.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus
from .diffusion_losses import eps_prediction_loss
from .diffusion_process import DDPMSchedule
from .diffusion_sampling import ddpm_sample

__all__ = ["LatentDiffusion"]


@syllabus("generative.latent_diffusion")
class LatentDiffusion(nn.Module):
    """``autoencoder`` has ``encode(x) -> (B, k)`` and ``decode(z) -> x``; ``denoiser(z, t)`` works on (B, k)."""

    def __init__(self, autoencoder: nn.Module, denoiser: nn.Module, schedule: DDPMSchedule):
        super().__init__()
        expect(hasattr(autoencoder, "encode") and hasattr(autoencoder, "decode"), "autoencoder",
               "a module with encode and decode", type(autoencoder).__name__)
        self.autoencoder, self.denoiser, self.schedule = autoencoder, denoiser, schedule
        self.register_buffer("scale", torch.tensor(1.0))

    @torch.no_grad()
    def fit_scale(self, x: torch.Tensor) -> float:
        self.scale.fill_(self.autoencoder.encode(x).std().item())
        return self.scale.item()

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.encode(x) / self.scale                       # (B, k)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.decode(z * self.scale)

    def loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return eps_prediction_loss(self.denoiser, self.encode(x), self.schedule, generator)

    @torch.no_grad()
    def sample(self, n: int, latent_features: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.decode(ddpm_sample(self.denoiser, (n, latent_features), self.schedule, generator))
