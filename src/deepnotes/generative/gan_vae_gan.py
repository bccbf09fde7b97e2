"""VAE-GAN: a VAE whose pixel reconstruction loss is replaced by a discriminator-feature loss.

Syllabus: generative.vae_gan. Notes: 001 S16.21.

With encoder q(z|x), decoder (generator) x~ = Dec(z), discriminator Dis with hidden features Dis_l:
    L_prior  = KL(q(z|x) || N(0, I))
    L_llike  = 1/2 ||Dis_l(x) - Dis_l(x~)||^2               (Gaussian likelihood in feature space)
    L_GAN    = log Dis(x) + log(1 - Dis(x~)) + log(1 - Dis(Dec(z_p))),  z_p ~ N(0, I)
Encoder minimises L_prior + L_llike; decoder minimises gamma L_llike - L_GAN (non-saturating form
on x~ and Dec(z_p)); discriminator maximises L_GAN. The VAE is deepnotes.generative.VAE (its
decoder emits Bernoulli logits; images are sigmoid(logits)).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import syllabus
from .gaussian_kl import gaussian_kl
from .reparameterization import reparameterize
from .vae import VAE

__all__ = ["FeatureDiscriminator", "VAEGAN"]


class FeatureDiscriminator(nn.Module):
    """MLP discriminator exposing its last hidden layer: ``forward`` -> (logit (B, 1), features (B, H))."""

    def __init__(self, in_features: int, hidden: Sequence[int] = (128, 64)):
        super().__init__()
        sizes = [in_features, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(sizes[-1], 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)
        return self.head(f), f


@syllabus("generative.vae_gan")
class VAEGAN(nn.Module):
    def __init__(self, in_features: int, latent_features: int, hidden: Sequence[int] = (128,),
                 disc_hidden: Sequence[int] = (128, 64), gamma: float = 1.0):
        super().__init__()
        self.vae = VAE(in_features, latent_features, hidden)
        self.dis = FeatureDiscriminator(in_features, disc_hidden)
        self.gamma = gamma

    def reconstruct(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        mu, logvar = self.vae.encode(x)
        return torch.sigmoid(self.vae.decode(reparameterize(mu, logvar, generator=generator)))

    def step(self, x: torch.Tensor, opt_enc, opt_dec, opt_dis, generator: torch.Generator | None = None) -> dict:
        """One update of encoder, decoder and discriminator (three optimizers)."""
        mu, logvar = self.vae.encode(x)                                      # (B, d)
        z = reparameterize(mu, logvar, generator=generator)
        x_rec = torch.sigmoid(self.vae.decode(z))                            # (B, D)
        z_p = torch.randn(z.shape, generator=generator)
        x_p = torch.sigmoid(self.vae.decode(z_p))
        # discriminator
        lr, _ = self.dis(x)
        lrec, _ = self.dis(x_rec.detach())
        lp, _ = self.dis(x_p.detach())
        ones, zeros = torch.ones_like(lr), torch.zeros_like(lr)
        d_loss = (F.binary_cross_entropy_with_logits(lr, ones) + F.binary_cross_entropy_with_logits(lrec, zeros)
                  + F.binary_cross_entropy_with_logits(lp, zeros))
        opt_dis.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_dis.step()
        # encoder and decoder
        _, f_real = self.dis(x)
        lrec, f_rec = self.dis(x_rec)
        lp, _ = self.dis(x_p)
        llike = 0.5 * ((f_real.detach() - f_rec) ** 2).sum(1).mean()
        prior = gaussian_kl(mu, logvar).mean()
        gan_g = (F.binary_cross_entropy_with_logits(lrec, ones) + F.binary_cross_entropy_with_logits(lp, ones))
        enc_params = list(self.vae.encoder.parameters())
        dec_params = list(self.vae.decoder.parameters())
        g_enc = torch.autograd.grad(prior + llike, enc_params, retain_graph=True)
        g_dec = torch.autograd.grad(self.gamma * llike + gan_g, dec_params)
        for p, g in zip(enc_params, g_enc):
            p.grad = g
        for p, g in zip(dec_params, g_dec):
            p.grad = g
        opt_enc.step()
        opt_dec.step()
        return {"d_loss": d_loss.item(), "llike": llike.item(), "prior": prior.item(), "gan_g": gan_g.item()}
