"""GAN losses on discriminator logits: minimax value, non-saturating, least-squares (LSGAN), WGAN.

Syllabus: generative.gan_minimax_loss, generative.non_saturating_gan_loss, generative.lsgan.
Notes: 000 L6.09-L6.12; 001 S16.09-S16.10; 002 §8.6d,e,r; 003 L11G.06-L11G.11.

With l = D's logit and D = sigmoid(l):
    V(D, G)     = E_x log D(x) + E_z log(1 - D(G(z)))      D ascends V, G descends it
    D loss      = -V = BCE(D(x), 1) + BCE(D(G(z)), 0)
    G saturating     = E_z log(1 - D(G(z)))           dL/dl = -sigmoid(l)     -> 0 when D(G(z)) -> 0
    G non-saturating = E_z -log D(G(z))               dL/dl = -(1 - sigmoid(l)) -> -1
    LSGAN (a=0, b=c=1): D: 1/2 E(D(x) - 1)^2 + 1/2 E D(G(z))^2;  G: 1/2 E(D(G(z)) - 1)^2
      (D(.) is the raw critic output here, not a probability.)
    WGAN critic loss = -(E f(x) - E f(G(z))); generator loss = -E f(G(z)).
Everything is computed with logsigmoid so it is finite for any logit. Tested against torch BCE in
tests/generative/test_gan_losses.py.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["gan_value", "gan_discriminator_loss", "gan_generator_saturating_loss",
           "gan_generator_loss", "lsgan_discriminator_loss", "lsgan_generator_loss",
           "wgan_critic_loss", "wgan_generator_loss"]


def _same(real: torch.Tensor, fake: torch.Tensor) -> None:
    expect(real.shape[1:] == fake.shape[1:], "fake_logits", f"trailing shape {tuple(real.shape[1:])}",
           tuple(fake.shape))


@syllabus("generative.gan_minimax_loss")
def gan_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(D, G) = mean log D(x) + mean log(1 - D(G(z))) from logits (a scalar)."""
    _same(real_logits, fake_logits)
    return F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean()


@syllabus("generative.gan_minimax_loss")
def gan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-V: BCE(D(x), 1) + BCE(D(G(z)), 0)."""
    return -gan_value(real_logits, fake_logits)


@syllabus("generative.gan_minimax_loss")
def gan_generator_saturating_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss E log(1 - D(G(z))) (G minimises V)."""
    return F.logsigmoid(-fake_logits).mean()


@syllabus("generative.non_saturating_gan_loss")
def gan_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss E -log D(G(z))."""
    return -F.logsigmoid(fake_logits).mean()


@syllabus("generative.lsgan")
def lsgan_discriminator_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2."""
    _same(real_out, fake_out)
    return 0.5 * ((real_out - 1) ** 2).mean() + 0.5 * (fake_out ** 2).mean()


@syllabus("generative.lsgan")
def lsgan_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """1/2 E (D(G(z)) - 1)^2."""
    return 0.5 * ((fake_out - 1) ** 2).mean()


@syllabus("generative.wgan")
def wgan_critic_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """-(E f(x) - E f(G(z))): the critic minimises this (maximises the W1 estimate)."""
    _same(real_out, fake_out)
    return fake_out.mean() - real_out.mean()


@syllabus("generative.wgan")
def wgan_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """-E f(G(z))."""
    return -fake_out.mean()
