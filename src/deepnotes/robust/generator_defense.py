"""Generator-based purification: classify the input's projection onto a generative model's range.

Syllabus: robustness.generator_defense. Notes: 000 L10.21.

Two projections: an autoencoder reconstruction x_hat = D(E(x)), or (Defense-GAN style) the
decoder output G(z*) with z* = argmin_z |G(z) - x|^2 found by gradient descent from E(x) (or 0).
The classifier sees x_hat; adversarial noise off the data manifold is mostly removed.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["PurifiedClassifier"]


@syllabus("robustness.generator_defense")
class PurifiedClassifier(nn.Module):
    """classifier(G(z*(x))) with an encoder/decoder pair; ``latent_steps=0`` is the AE reconstruction."""

    def __init__(self, classifier: nn.Module, encoder: nn.Module, decoder: nn.Module,
                 latent_steps: int = 0, latent_lr: float = 0.05):
        super().__init__()
        expect(latent_steps >= 0, "latent_steps", "a non-negative int", latent_steps)
        self.classifier, self.encoder, self.decoder = classifier, encoder, decoder
        self.latent_steps, self.latent_lr = latent_steps, latent_lr

    def purify(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            z = self.encoder(x)
        if self.latent_steps:
            z = z.clone().requires_grad_(True)
            opt = torch.optim.Adam([z], lr=self.latent_lr)
            for _ in range(self.latent_steps):
                with torch.enable_grad():
                    err = (self.decoder(z) - x.detach()).pow(2).sum()
                    opt.zero_grad()
                    err.backward()
                opt.step()
            z = z.detach()
        with torch.no_grad():
            return self.decoder(z).view_as(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.purify(x))
