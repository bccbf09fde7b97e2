"""Image-to-image GANs: pix2pix (paired) and CycleGAN (unpaired) with the cycle-consistency loss.

Syllabus: generative.pix2pix, generative.cyclegan, generative.cycle_consistency_loss.
Notes: 000 L6.36-L6.42; 001 S11.30, S16.15-16; 002 §8.6n-p; 003 L11G.22-23.

pix2pix: U-Net generator G(x); PatchGAN discriminator D(x, y) on the channel-concatenated pair,
    giving one logit per receptive-field patch (70x70 patches -> a 30x30 map for 256x256 inputs);
    L_G = BCE(D(x, G(x)), 1) + lambda ||y - G(x)||_1, lambda = 100.
CycleGAN: G: X -> Y, F: Y -> X, discriminators D_X, D_Y (four networks);
    L = GAN(G, D_Y) + GAN(F, D_X) + lambda_cyc L_cyc,  L_cyc = E||F(G(x)) - x||_1 + E||G(F(y)) - y||_1,
    lambda_cyc = 10, least-squares GAN losses as in the original.
003 says 'three networks' while describing two generators and one discriminator; there are four.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .gan_losses import lsgan_discriminator_loss, lsgan_generator_loss

__all__ = ["PatchDiscriminator", "pix2pix_generator_loss", "cycle_consistency_loss", "CycleGAN"]


@syllabus("generative.pix2pix")
class PatchDiscriminator(nn.Module):
    """PatchGAN: ``n_layers`` stride-2 4x4 convs, one stride-1 conv, a 1-channel conv (padding 1).

    The default (base 64, n_layers 3) is the 70x70 PatchGAN: 256x256 -> 30x30 logits."""

    def __init__(self, in_channels: int, base: int = 64, n_layers: int = 3, norm: bool = True):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = base
        for i in range(1, n_layers + 1):
            c_out = base * min(2 ** i, 8)
            stride = 2 if i < n_layers else 1
            layers += [nn.Conv2d(c, c_out, 4, stride, 1, bias=not norm)]
            if norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2))
            c = c_out
        layers.append(nn.Conv2d(c, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        expect(x.shape[0] == y.shape[0] and x.shape[2:] == y.shape[2:], "y", f"(B, C, {tuple(x.shape[2:])})",
               tuple(y.shape))
        return self.net(torch.cat([x, y], 1))                               # (B, 1, h, w) patch logits


@syllabus("generative.pix2pix")
def pix2pix_generator_loss(fake_logits: torch.Tensor | None, fake: torch.Tensor, target: torch.Tensor,
                           l1_weight: float = 100.0) -> torch.Tensor:
    """BCE(D(x, G(x)), 1) + lambda ||y - G(x)||_1 (mean); ``fake_logits=None`` drops the GAN term."""
    loss = l1_weight * (fake - target).abs().mean()
    if fake_logits is not None:
        loss = loss + F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return loss


@syllabus("generative.cycle_consistency_loss")
def cycle_consistency_loss(x: torch.Tensor, y: torch.Tensor, G: Callable[[torch.Tensor], torch.Tensor],
                           F_: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """E||F(G(x)) - x||_1 + E||G(F(y)) - y||_1 (per-example L1 summed over features, batch mean)."""
    fwd = (F_(G(x)) - x).abs().flatten(1).sum(1).mean()
    bwd = (G(F_(y)) - y).abs().flatten(1).sum(1).mean()
    return fwd + bwd


@syllabus("generative.cyclegan")
class CycleGAN(nn.Module):
    """Holds G: X->Y, F: Y->X, D_X, D_Y; ``step`` does one generator and one discriminator update."""

    def __init__(self, G: nn.Module, F_: nn.Module, D_X: nn.Module, D_Y: nn.Module, lambda_cyc: float = 10.0):
        super().__init__()
        self.G, self.F, self.D_X, self.D_Y, self.lambda_cyc = G, F_, D_X, D_Y, lambda_cyc

    def generator_loss(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        fake_y, fake_x = self.G(x), self.F(y)
        adv = lsgan_generator_loss(self.D_Y(fake_y)) + lsgan_generator_loss(self.D_X(fake_x))
        cyc = cycle_consistency_loss(x, y, self.G, self.F)
        return {"loss": adv + self.lambda_cyc * cyc, "adv": adv, "cyc": cyc, "fake_x": fake_x, "fake_y": fake_y}

    def discriminator_loss(self, x: torch.Tensor, y: torch.Tensor, fake_x: torch.Tensor, fake_y: torch.Tensor):
        return (lsgan_discriminator_loss(self.D_Y(y), self.D_Y(fake_y.detach()))
                + lsgan_discriminator_loss(self.D_X(x), self.D_X(fake_x.detach())))

    def step(self, x: torch.Tensor, y: torch.Tensor, opt_g: torch.optim.Optimizer,
             opt_d: torch.optim.Optimizer) -> dict:
        """opt_g over G and F, opt_d over D_X and D_Y: all four networks are updated."""
        out = self.generator_loss(x, y)
        opt_g.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt_g.step()
        d_loss = self.discriminator_loss(x, y, out["fake_x"], out["fake_y"])
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        return {"g_loss": out["loss"].item(), "cyc": out["cyc"].item(), "d_loss": d_loss.item()}
