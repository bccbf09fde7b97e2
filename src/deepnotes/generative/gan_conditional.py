"""Conditional GAN (label-conditioned G and D, mismatched-pair negatives).

Syllabus: generative.conditional_gan. Notes: 000 L6.34-35; 001 S16.13, S16.23-24; 002 §8.6m; 003 L11G.21.

    G(z, c), D(x, c).  D positives: (real x, its c).  Negatives: (G(z, c), c) and, for text/label
    matching, (real x, a mismatched c').  The noise z is required: without it G(c) is a deterministic
    function of the class (``use_noise=False`` demonstrates this).
Conditioning by concatenation (one-hot) or FiLM on the hidden layer (``conditioning``).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .gan_conditioning import FiLM, concat_condition

__all__ = ["ConditionalGenerator", "ConditionalDiscriminator", "mismatched_labels", "cgan_discriminator_loss"]


@syllabus("generative.conditional_gan")
class ConditionalGenerator(nn.Module):
    """x = G(z, c): MLP on [z, onehot(c)] (concat) or on z with FiLM(c) after each hidden layer."""

    def __init__(self, latent_dim: int, num_classes: int, out_features: int, hidden: Sequence[int] = (128, 128),
                 conditioning: str = "concat", use_noise: bool = True, output: str = "sigmoid"):
        super().__init__()
        expect(conditioning in ("concat", "film"), "conditioning", "'concat' or 'film'", conditioning)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.conditioning, self.use_noise = conditioning, use_noise
        first = latent_dim + (num_classes if conditioning == "concat" else 0)
        sizes = [first, *hidden]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.films = nn.ModuleList(FiLM(num_classes, h) for h in hidden) if conditioning == "film" else None
        self.out = nn.Linear(sizes[-1], out_features)
        self.act_out = nn.Sigmoid() if output == "sigmoid" else nn.Identity()

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        expect(z.shape == (c.shape[0], self.latent_dim), "z", f"({c.shape[0]}, {self.latent_dim})", tuple(z.shape))
        if not self.use_noise:
            z = torch.zeros_like(z)                                           # no noise input
        onehot = F.one_hot(c.long(), self.num_classes).to(z.dtype)          # (B, K)
        h = concat_condition(z, onehot) if self.conditioning == "concat" else z
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if self.films is not None:
                h = self.films[i](h, onehot)
            h = F.leaky_relu(h, 0.2)
        return self.act_out(self.out(h))                                    # (B, out_features)


@syllabus("generative.conditional_gan")
class ConditionalDiscriminator(nn.Module):
    """Logit D(x, c) (B, 1) from an MLP on [x, onehot(c)]."""

    def __init__(self, in_features: int, num_classes: int, hidden: Sequence[int] = (128, 128)):
        super().__init__()
        self.num_classes = num_classes
        sizes = [in_features + num_classes, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.Linear(sizes[-1], 1))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.net(concat_condition(x, c, self.num_classes))            # (B, 1)


@syllabus("generative.conditional_gan")
def mismatched_labels(c: torch.Tensor, num_classes: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A label different from ``c`` for every example (uniform over the other classes)."""
    shift = torch.randint(1, num_classes, c.shape, generator=generator, device=c.device)
    return (c + shift) % num_classes


@syllabus("generative.conditional_gan")
def cgan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                            mismatch_logits: torch.Tensor | None = None) -> torch.Tensor:
    """BCE: (x, c) -> 1, (G(z, c), c) -> 0, and (x, c') -> 0 when mismatched logits are given
    (the two negative terms then weigh 1/2 each, as in GAN-CLS)."""
    loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    neg = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    if mismatch_logits is not None:
        neg = 0.5 * (neg + F.binary_cross_entropy_with_logits(mismatch_logits, torch.zeros_like(mismatch_logits)))
    return loss + neg
