"""AC-GAN and InfoGAN: discriminators with an auxiliary head on the latent/class.

Syllabus: generative.acgan, generative.infogan. Notes: 001 S16.28-S16.30.

AC-GAN: D outputs a real/fake logit (B, 1) and class logits (B, K) = q(c|x).
    L_D = BCE(real/fake) + CE(q(c|x_real), c_real) + CE(q(c|G(z,c)), c)
    L_G = GAN generator loss + CE(q(c|G(z,c)), c)
InfoGAN: latent (z, c) with a categorical code c1 (10-way) and continuous c2, c3 ~ U(-1, 1); a Q
head maximises the variational MI lower bound lambda E log Q(c|G(z,c)) on GENERATED samples only
(categorical: CE, continuous: Gaussian log-likelihood with unit variance = 1/2 MSE up to a constant).
001 says InfoGAN uses 'only the first term' of the AC-GAN loss; the MI term is on generated samples.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["AuxClassifierDiscriminator", "acgan_aux_loss", "infogan_sample_codes", "infogan_q_loss"]


@syllabus("generative.acgan", "generative.infogan")
class AuxClassifierDiscriminator(nn.Module):
    """Shared MLP trunk with a real/fake head (B, 1) and an auxiliary head (B, aux_features)."""

    def __init__(self, in_features: int, aux_features: int, hidden: Sequence[int] = (128, 128)):
        super().__init__()
        sizes = [in_features, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.trunk = nn.Sequential(*layers)
        self.adv_head = nn.Linear(sizes[-1], 1)
        self.aux_head = nn.Linear(sizes[-1], aux_features)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)                                                    # (B, H)
        return self.adv_head(h), self.aux_head(h)                           # (B, 1), (B, aux)


@syllabus("generative.acgan")
def acgan_aux_loss(real_class_logits: torch.Tensor, real_labels: torch.Tensor,
                   fake_class_logits: torch.Tensor, fake_labels: torch.Tensor) -> torch.Tensor:
    """CE of the class head on the real batch plus CE on the generated batch (D's auxiliary term)."""
    return F.cross_entropy(real_class_logits, real_labels) + F.cross_entropy(fake_class_logits, fake_labels)


@syllabus("generative.infogan")
def infogan_sample_codes(n: int, noise_dim: int, num_categories: int = 10, num_continuous: int = 2,
                         generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(latent (n, noise_dim + K + num_continuous), categorical c1 (n,), continuous c (n, num_continuous))."""
    expect(n >= 1, "n", "an int >= 1", n)
    z = torch.randn(n, noise_dim, generator=generator)
    cat = torch.randint(num_categories, (n,), generator=generator)
    cont = torch.rand(n, num_continuous, generator=generator) * 2 - 1
    return torch.cat([z, F.one_hot(cat, num_categories).float(), cont], 1), cat, cont


@syllabus("generative.infogan")
def infogan_q_loss(q_out: torch.Tensor, cat: torch.Tensor, cont: torch.Tensor, num_categories: int = 10,
                   continuous_weight: float = 1.0) -> torch.Tensor:
    """-E log Q(c|G(z,c)) up to constants: CE on the categorical logits + 1/2 MSE on the continuous means.

    ``q_out`` (B, K + num_continuous) from the aux head applied to GENERATED samples."""
    expect(q_out.shape[1] == num_categories + cont.shape[1], "q_out",
           f"(B, {num_categories + cont.shape[1]})", tuple(q_out.shape))
    ce = F.cross_entropy(q_out[:, :num_categories], cat)
    mse = 0.5 * ((q_out[:, num_categories:] - cont) ** 2).sum(1).mean()
    return ce + continuous_weight * mse
