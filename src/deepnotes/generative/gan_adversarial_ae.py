"""Adversarial autoencoder: a code discriminator replaces the VAE's KL term.

Syllabus: generative.adversarial_autoencoder. Notes: 001 S16.20.

Deterministic encoder z = Enc(x), decoder x^ = Dec(z).
    reconstruction: E||x - Dec(Enc(x))||^2
    regularisation: D_z separates prior samples z ~ p(z) = N(0, I) (real) from codes Enc(x) (fake);
                    the encoder fools it (non-saturating loss), pushing the aggregate posterior
                    q(z) = E_x q(z|x) toward p(z).
``mmd2_rbf`` (unbiased squared MMD, Gaussian kernel) and ``mmd_permutation_test`` measure the
match between codes and prior samples.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["AdversarialAutoencoder", "mmd2_rbf", "mmd_permutation_test"]


def _mlp(sizes: Sequence[int], out_act: nn.Module | None = None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    if out_act is not None:
        layers.append(out_act)
    return nn.Sequential(*layers)


@syllabus("generative.adversarial_autoencoder")
class AdversarialAutoencoder(nn.Module):
    def __init__(self, in_features: int, latent_features: int = 2, hidden: Sequence[int] = (128,),
                 disc_hidden: Sequence[int] = (64, 64)):
        super().__init__()
        self.latent_features = latent_features
        self.encoder = _mlp([in_features, *hidden, latent_features])
        self.decoder = _mlp([latent_features, *hidden[::-1], in_features], nn.Sigmoid())
        self.code_discriminator = _mlp([latent_features, *disc_hidden, 1])

    def step(self, x: torch.Tensor, opt_ae, opt_d, opt_enc, adv_weight: float = 1.0,
             generator: torch.Generator | None = None) -> dict:
        """Reconstruction step (encoder+decoder), discriminator step, encoder (generator) step."""
        rec = ((self.decoder(self.encoder(x)) - x) ** 2).sum(1).mean()
        opt_ae.zero_grad(set_to_none=True)
        rec.backward()
        opt_ae.step()
        z = self.encoder(x).detach()                                         # (B, d) codes = fake
        zp = torch.randn(z.shape, generator=generator)                       # prior = real
        lr, lf = self.code_discriminator(zp), self.code_discriminator(z)
        d_loss = (F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr))
                  + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        lf = self.code_discriminator(self.encoder(x))
        g_loss = adv_weight * F.binary_cross_entropy_with_logits(lf, torch.ones_like(lf))
        opt_enc.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_enc.step()
        return {"rec": rec.item(), "d_loss": d_loss.item(), "g_loss": g_loss.item()}


def _rbf(a: torch.Tensor, b: torch.Tensor, bandwidth: float) -> torch.Tensor:
    return torch.exp(-torch.cdist(a, b) ** 2 / (2 * bandwidth ** 2))


@syllabus("generative.adversarial_autoencoder")
def mmd2_rbf(x: torch.Tensor, y: torch.Tensor, bandwidth: float = 1.0) -> torch.Tensor:
    """Unbiased MMD^2 between samples x (N, d) and y (M, d) with k(a, b) = exp(-|a-b|^2 / 2h^2)."""
    expect(x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[1], "y", f"(M, {x.shape[-1]})", tuple(y.shape))
    n, m = len(x), len(y)
    kxx, kyy, kxy = _rbf(x, x, bandwidth), _rbf(y, y, bandwidth), _rbf(x, y, bandwidth)
    return ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
            - 2 * kxy.mean())


@syllabus("generative.adversarial_autoencoder")
def mmd_permutation_test(x: torch.Tensor, y: torch.Tensor, bandwidth: float = 1.0, permutations: int = 200,
                         generator: torch.Generator | None = None) -> tuple[float, float]:
    """(MMD^2, p-value) by a permutation test of H0: x and y come from the same distribution."""
    stat = float(mmd2_rbf(x, y, bandwidth))
    pooled, n = torch.cat([x, y]), len(x)
    count = 0
    for _ in range(permutations):
        perm = torch.randperm(len(pooled), generator=generator)
        count += float(mmd2_rbf(pooled[perm[:n]], pooled[perm[n:]], bandwidth)) >= stat
    return stat, (count + 1) / (permutations + 1)
