"""Generative latent optimisation (GLO): one learnable code per training image.

Syllabus: generative.latent_optimization. Notes: 000 L6.25.

    min_{theta, z_1..z_N}  sum_i ||g_theta(z_i) - x_i||^2
The codes z_i are an nn.Embedding trained jointly with the decoder; new images come from decoding
codes drawn from a Gaussian fitted to the learned z_i.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["GLO"]


@syllabus("generative.latent_optimization")
class GLO(nn.Module):
    """codes: Embedding(num_items, latent_dim); decoder: MLP latent -> out_features (sigmoid)."""

    def __init__(self, num_items: int, latent_dim: int, out_features: int, hidden: Sequence[int] = (128,),
                 init_std: float = 0.1):
        super().__init__()
        expect(num_items >= 1, "num_items", "an int >= 1", num_items)
        self.codes = nn.Embedding(num_items, latent_dim)
        nn.init.normal_(self.codes.weight, std=init_std)
        sizes = [latent_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*layers, nn.Linear(sizes[-1], out_features), nn.Sigmoid())

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.codes(index))                              # (B, out_features)

    def loss(self, index: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean squared reconstruction error of the indexed images."""
        return ((self(index) - x) ** 2).mean()

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode codes from N(mean(z_i), cov(z_i))."""
        w = self.codes.weight                                               # (N, d)
        mu, cov = w.mean(0), torch.cov(w.T) + 1e-5 * torch.eye(w.shape[1])
        eps = torch.randn(n, w.shape[1], generator=generator)
        return self.decoder(mu + eps @ torch.linalg.cholesky(cov).T)
