"""Denoising autoencoder: reconstruct the clean x from a corrupted copy x~.

Syllabus: generative.denoising_autoencoder. Notes: 000 L8.05-L8.06; 001 S14.08; 002 §8.2j.

    x~ = x + N(0, sigma^2 I)   (Gaussian)   or   x~ = m * x, m_j ~ Bernoulli(1 - p)   (masking)
    L = || x - f(g(x~)) ||^2      the target is the CLEAN input

The corruption is applied only in training mode; in eval mode ``forward`` reconstructs its input.
"""
from __future__ import annotations

from typing import Sequence

import torch

from ..core import expect, syllabus
from .autoencoder import Autoencoder

__all__ = ["corrupt", "DenoisingAutoencoder"]


def corrupt(x: torch.Tensor, sigma: float = 0.3, kind: str = "gaussian", p: float = 0.25,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """x~ from x: additive Gaussian noise of std ``sigma`` or masking each entry with probability ``p``."""
    expect(kind in ("gaussian", "mask"), "kind", "'gaussian' or 'mask'", kind)
    if kind == "gaussian":
        expect(sigma >= 0, "sigma", "a non-negative float", sigma)
        return x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype)
    expect(0 <= p < 1, "p", "a probability in [0, 1)", p)
    return x * (torch.rand(x.shape, generator=generator, dtype=x.dtype) >= p)


@syllabus("generative.denoising_autoencoder")
class DenoisingAutoencoder(Autoencoder):
    """An :class:`Autoencoder` whose ``forward`` corrupts its input while training."""

    def __init__(self, in_features: int, code_features: int, hidden_features: Sequence[int] = (64,),
                 sigma: float = 0.3, kind: str = "gaussian", p: float = 0.25, output: str = "linear",
                 generator: torch.Generator | None = None):
        super().__init__(in_features, code_features, hidden_features, output=output, generator=generator)
        self.sigma, self.kind, self.p = sigma, kind, p
        self.noise_generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            x = corrupt(x, self.sigma, self.kind, self.p, generator=self.noise_generator)
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the reconstruction of corrupted x against clean x."""
        noisy = corrupt(x, self.sigma, self.kind, self.p, generator=self.noise_generator)
        return ((self.decode(self.encode(noisy)) - x) ** 2).mean()
