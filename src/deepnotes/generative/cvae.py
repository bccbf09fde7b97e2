"""Conditional VAE: the encoder q(z|x, c) and the decoder p(x|z, c) both see the condition c.

Syllabus: generative.cvae. Notes: 001 S16.25-S16.27; 002 §8.4c.

    loss(x, c) = -E_{q(z|x,c)} log p(x|z, c) + KL(q(z|x,c) || p(z))
    prior option A: p(z) = N(0, I) (used here);  option B: a learned p(z|c)
    generation: pick c, sample z ~ N(0, I), decode p(x|z, c)

001 calls Q(z|X) "the decoder"; it is the encoder. The condition is a one-hot label concatenated
to both inputs.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ..core import expect, syllabus
from .vae import VAE

__all__ = ["CVAE"]


@syllabus("generative.cvae")
class CVAE(VAE):
    """A :class:`VAE` conditioned on a class label in ``range(num_classes)`` (one-hot)."""

    def __init__(self, in_features: int, latent_features: int, num_classes: int,
                 hidden_features: Sequence[int] = (128,), likelihood: str = "bernoulli",
                 generator: torch.Generator | None = None):
        expect(num_classes >= 2, "num_classes", "an int >= 2", num_classes)
        super().__init__(in_features, latent_features, hidden_features, likelihood, num_classes, generator)
        self.num_classes = num_classes

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        expect(y.dtype == torch.long and bool(((y >= 0) & (y < self.num_classes)).all()), "y",
               f"class indices in [0, {self.num_classes})", y)
        return F.one_hot(y, self.num_classes).float()                       # (B, C)

    def loss(self, x, y, beta: float = 1.0, generator=None):                 # type: ignore[override]
        return super().loss(x, self.one_hot(y), beta, generator)

    @torch.no_grad()
    def sample(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:  # type: ignore[override]
        return super().sample(len(y), self.one_hot(y), generator)
