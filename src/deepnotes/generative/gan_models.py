"""GAN generator and discriminator (MLP form, DCGAN-style layout for flat data).

Syllabus: generative.gan. Notes: 000 L6.01-L6.04; 001 S16.02-S16.04; 002 §8.6a,b,i; 003 L11G.04-05.

    G_theta: z ~ N(0, I_d) -> x = G(z)          (tanh / sigmoid / identity output range)
    D_phi:   x -> D(x) = sigmoid(l(x)) in (0, 1)  (the probability that x is real)

The discriminator returns the logit l(x); ``prob`` applies the sigmoid. Working on logits keeps the
losses numerically stable (BCE-with-logits). Tested in tests/generative/test_gan_models.py.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["GANGenerator", "GANDiscriminator"]

_OUT = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


def _mlp(sizes: Sequence[int], act: type[nn.Module]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return layers


@syllabus("generative.gan")
class GANGenerator(nn.Module):
    """MLP generator z (B, latent_dim) -> x (B, out_features) with output range ``output``."""

    def __init__(self, latent_dim: int, out_features: int, hidden: Sequence[int] = (128, 128),
                 output: str = "identity"):
        super().__init__()
        expect(latent_dim >= 1, "latent_dim", "an int >= 1", latent_dim)
        expect(output in _OUT, "output", f"one of {sorted(_OUT)}", output)
        self.latent_dim = latent_dim
        self.net = nn.Sequential(*_mlp([latent_dim, *hidden, out_features], nn.ReLU), _OUT[output]())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        expect(z.ndim == 2 and z.shape[1] == self.latent_dim, "z", f"a (B, {self.latent_dim}) tensor",
               tuple(z.shape))
        return self.net(z)                                                   # (B, out_features)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.latent_dim, generator=generator,
                        device=next(self.parameters()).device)             # (n, latent_dim)
        return self(z)


@syllabus("generative.gan")
class GANDiscriminator(nn.Module):
    """MLP discriminator x (B, in_features) -> logit (B, 1); ``prob(x)`` = sigmoid(logit) in (0, 1)."""

    def __init__(self, in_features: int, hidden: Sequence[int] = (128, 128), negative_slope: float = 0.2):
        super().__init__()
        self.in_features = in_features
        layers = _mlp([in_features, *hidden, 1], lambda: nn.LeakyReLU(negative_slope))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect(x.ndim == 2 and x.shape[1] == self.in_features, "x", f"a (B, {self.in_features}) tensor",
               tuple(x.shape))
        return self.net(x)                                                   # (B, 1)

    def prob(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self(x))                                        # (B, 1)
