"""Alternating GAN training: k discriminator/critic steps, then one generator step.

Syllabus: generative.gan_training, generative.wgan, generative.weight_clipping, generative.instance_noise.
Notes: 000 L6.05, L6.17-18; 001 S16.05-S16.08, S16.12; 002 §8.6c, s, v, w, x; 003 L11G.08, L11G.14-15, L11G.19.

    repeat: k times  phi <- phi - eta grad_phi L_D(x, G(z))   (G frozen: fake detached)
            once     theta <- theta - eta grad_theta L_G(D(G(z)))  (D frozen: only G's optimizer steps)
Losses (``loss``): "minimax" (G minimises log(1 - D)), "nonsat" (G minimises -log D), "lsgan",
"wgan" (critic f, n_critic = 5, weights clipped to [-c, c] after every critic step, c = 0.01,
RMSProp 5e-5 in the original), "wgan-gp" (gradient penalty instead of clipping, Adam).
Instance noise: N(0, sigma_t^2) added to BOTH real and fake inputs of D, sigma_t annealed linearly
to 0. Errata: 000 L6.05 writes 'local scores' for low scores; 002's Algorithm 27 writes f(G(x)) for
f(G(z)); 003 calls weight clipping 'gradient clipping'.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ..core import expect, syllabus
from .gan_gradient_penalty import gradient_penalty
from .gan_losses import (gan_discriminator_loss, gan_generator_loss, gan_generator_saturating_loss,
                         lsgan_discriminator_loss, lsgan_generator_loss, wgan_critic_loss, wgan_generator_loss)

__all__ = ["clip_weights_", "InstanceNoise", "GANStepResult", "gan_train_step", "GAN_LOSSES"]

GAN_LOSSES = ("minimax", "nonsat", "lsgan", "wgan", "wgan-gp")


@syllabus("generative.weight_clipping")
@torch.no_grad()
def clip_weights_(module: nn.Module, c: float = 0.01) -> None:
    """Clamp every parameter of ``module`` to [-c, c] in place (after each critic step)."""
    expect(c > 0, "c", "a positive float", c)
    for p in module.parameters():
        p.clamp_(-c, c)


@syllabus("generative.instance_noise")
class InstanceNoise:
    """sigma_t = sigma0 * max(0, 1 - t / anneal_steps); ``__call__(x, t)`` adds N(0, sigma_t^2)."""

    def __init__(self, sigma0: float, anneal_steps: int):
        expect(sigma0 >= 0, "sigma0", "a float >= 0", sigma0)
        expect(anneal_steps >= 1, "anneal_steps", "an int >= 1", anneal_steps)
        self.sigma0, self.anneal_steps = sigma0, anneal_steps

    def sigma(self, t: int) -> float:
        return self.sigma0 * max(0.0, 1.0 - t / self.anneal_steps)

    def __call__(self, x: torch.Tensor, t: int, generator: torch.Generator | None = None) -> torch.Tensor:
        s = self.sigma(t)
        if s == 0:
            return x
        return x + s * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


@dataclass
class GANStepResult:
    d_loss: float
    g_loss: float
    critic_value: float          # E f(x) - E f(G(z)) for WGAN losses, V(D, G) estimate otherwise


def _d_loss(loss: str, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    if loss in ("minimax", "nonsat"):
        return gan_discriminator_loss(real_out, fake_out)
    if loss == "lsgan":
        return lsgan_discriminator_loss(real_out, fake_out)
    return wgan_critic_loss(real_out, fake_out)


def _g_loss(loss: str, fake_out: torch.Tensor) -> torch.Tensor:
    return {"minimax": gan_generator_saturating_loss, "nonsat": gan_generator_loss,
            "lsgan": lsgan_generator_loss}.get(loss, wgan_generator_loss)(fake_out)


@syllabus("generative.gan_training", "generative.wgan")
def gan_train_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                   sample_real: Callable[[int], torch.Tensor], latent_dim: int, batch_size: int = 64,
                   loss: str = "nonsat", d_steps: int = 1, clip: float | None = None, gp_weight: float = 10.0,
                   instance_noise: InstanceNoise | None = None, step: int = 0,
                   g_regularizer: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
                   generator: torch.Generator | None = None) -> GANStepResult:
    """One outer iteration: ``d_steps`` D updates on real vs G(z).detach(), then one G update.

    ``sample_real(n)`` returns a real batch; ``clip`` applies weight clipping after each D step;
    ``loss="wgan-gp"`` adds the gradient penalty; ``g_regularizer(z, x_fake)`` is added to L_G.
    """
    expect(loss in GAN_LOSSES, "loss", f"one of {GAN_LOSSES}", loss)
    expect(d_steps >= 1, "d_steps", "an int >= 1", d_steps)
    dev = next(G.parameters()).device
    noise = instance_noise or (lambda x, t, generator=None: x)
    for _ in range(d_steps):
        real = sample_real(batch_size).to(dev)
        z = torch.randn(batch_size, latent_dim, generator=generator, device=dev)
        with torch.no_grad():
            fake = G(z)                                                     # G frozen
        real_out = D(noise(real, step, generator))
        fake_out = D(noise(fake, step, generator))
        d_loss = _d_loss(loss, real_out, fake_out)
        if loss == "wgan-gp":
            d_loss = d_loss + gradient_penalty(D, real, fake, gp_weight, generator=generator)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        if clip is not None:
            clip_weights_(D, clip)
    z = torch.randn(batch_size, latent_dim, generator=generator, device=dev)
    fake = G(z)
    fake_out = D(noise(fake, step, generator))
    g_loss = _g_loss(loss, fake_out)
    if g_regularizer is not None:
        g_loss = g_loss + g_regularizer(z, fake)
    opt_g.zero_grad(set_to_none=True)
    D.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()                                                            # D frozen: its optimizer does not step
    d_loss, g_loss = d_loss.detach(), g_loss.detach()
    with torch.no_grad():
        value = (real_out.mean() - fake_out.mean()) if loss.startswith("wgan") else -_d_loss("minimax", real_out, fake_out)
    return GANStepResult(d_loss.item(), g_loss.item(), value.item())
