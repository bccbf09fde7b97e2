"""Variational autoencoder and the beta-weighted objective.

Syllabus: generative.vae, generative.beta_vae. Notes: 000 L6.23, L8.12; 001 S15.01-S15.11;
002 §8.3g, §8.3p, §8.4a-f; 003 L11G.27.

    encoder q_phi(z|x) = N(mu(x), diag exp(logvar(x)))       (log-variance head)
    z = mu + exp(logvar/2) eps                                 (reparameterised)
    decoder p_theta(x|z): Bernoulli logits (pixels in [0, 1]) or Gaussian mean with sigma = 1
    loss(x) = -E_q log p(x|z) + beta KL(q(z|x) || N(0, I))    = -ELBO when beta = 1
    generation: z ~ N(0, I) -> decoder

beta-VAE (002 §8.4e-f): beta < 1 when the KL collapses to ~0 (posterior collapse, blurry average
outputs); beta > 1 when the samples are poor while the KL is large.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..core import expect, syllabus
from ..nn import MLP
from .decoder_likelihoods import bernoulli_nll, gaussian_nll
from .gaussian_kl import gaussian_kl
from .reparameterization import reparameterize

__all__ = ["VAE", "beta_vae_loss"]


@syllabus("generative.beta_vae")
def beta_vae_loss(recon_nll: torch.Tensor, kl: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """mean(recon_nll + beta * kl); both per example (B,). beta = 1 is the negative ELBO."""
    expect(beta >= 0, "beta", "a non-negative float", beta)
    return (recon_nll + beta * kl).mean()


@syllabus("generative.vae")
class VAE(nn.Module):
    """MLP encoder to (mu, logvar), MLP decoder; ``likelihood`` "bernoulli" or "gaussian".

    ``cond_features`` > 0 makes it conditional (see :class:`CVAE`): a condition c is concatenated
    to the encoder input and to the decoder input.
    """

    def __init__(self, in_features: int, latent_features: int, hidden_features: Sequence[int] = (128,),
                 likelihood: str = "bernoulli", cond_features: int = 0, generator: torch.Generator | None = None):
        super().__init__()
        expect(likelihood in ("bernoulli", "gaussian"), "likelihood", "'bernoulli' or 'gaussian'", likelihood)
        expect(latent_features >= 1, "latent_features", "a positive int", latent_features)
        hidden = list(hidden_features)
        self.in_features, self.latent_features, self.cond_features = in_features, latent_features, cond_features
        self.likelihood = likelihood
        self.encoder = MLP(in_features + cond_features, hidden, 2 * latent_features, generator=generator)
        self.decoder = MLP(latent_features + cond_features, hidden[::-1], in_features, generator=generator)

    def _cat(self, a: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        if self.cond_features == 0:
            return a
        expect(c is not None and c.shape == (a.shape[0], self.cond_features), "c",
               f"a condition of shape (B, {self.cond_features})", None if c is None else tuple(c.shape))
        return torch.cat([a, c.to(a.dtype)], -1)

    def encode(self, x: torch.Tensor, c: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        expect(x.dim() == 2 and x.shape[1] == self.in_features, "x", f"(B, {self.in_features})", tuple(x.shape))
        mu, logvar = self.encoder(self._cat(x, c)).chunk(2, -1)             # (B, d) each
        return mu, logvar

    def decode(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder output: Bernoulli logits or the Gaussian mean, (B, D)."""
        return self.decoder(self._cat(z, c))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x, c)
        z = reparameterize(mu, logvar, generator=generator)                  # (B, d)
        return self.decode(z, c), mu, logvar

    def recon_nll(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return bernoulli_nll(out, x) if self.likelihood == "bernoulli" else gaussian_nll(out, x)

    def loss(self, x: torch.Tensor, c: torch.Tensor | None = None, beta: float = 1.0,
             generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """{'loss': mean(nll + beta kl), 'nll': (B,), 'kl': (B,)}; -loss is the ELBO at beta = 1."""
        out, mu, logvar = self(x, c, generator=generator)
        nll, kl = self.recon_nll(out, x), gaussian_kl(mu, logvar)
        return {"loss": beta_vae_loss(nll, kl, beta), "nll": nll, "kl": kl}

    @torch.no_grad()
    def sample(self, n: int, c: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode z ~ N(0, I): probabilities (Bernoulli) or means (Gaussian), (n, D)."""
        z = torch.randn(n, self.latent_features, generator=generator)
        out = self.decode(z, c)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out
