"""The reparameterisation trick and, for comparison, the score-function (REINFORCE) gradient.

Syllabus: generative.reparameterization. Notes: 001 S15.04; 002 §8.3r.

    z = mu + sigma * eps,  eps ~ N(0, I)          pathwise: grad E_q f(z) = E_eps grad f(mu + sigma eps)
    score function:        grad E_q f(z) = E_q f(z) grad log q(z)   (unbiased, far higher variance)

Continuous z only. Same samples as torch.distributions.Normal(mu, sigma).rsample for the same eps.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["reparameterize", "score_function_gradient", "pathwise_gradient"]


@syllabus("generative.reparameterization")
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + exp(logvar / 2) * eps, differentiable in mu and logvar."""
    expect(mu.shape == logvar.shape, "logvar", f"shape {tuple(mu.shape)} like mu", tuple(logvar.shape))
    if eps is None:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def pathwise_gradient(f, mu: torch.Tensor, sigma: torch.Tensor, n: int,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-sample pathwise gradients of f(z) w.r.t. (mu, sigma): (n, 2, *mu.shape).

    ``f`` maps z (n, *S) to one value per sample (n,); dz/dmu = 1 and dz/dsigma = eps."""
    eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
    z = (mu.detach() + sigma.detach() * eps).requires_grad_()                 # (n, *S)
    df_dz, = torch.autograd.grad(f(z).sum(), z)                              # samples are independent
    return torch.stack([df_dz, df_dz * eps], 1)


def score_function_gradient(f, mu: torch.Tensor, sigma: torch.Tensor, n: int,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-sample score-function gradients f(z) grad log N(z; mu, sigma^2): (n, 2, *mu.shape)."""
    eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
    z = mu + sigma * eps                                                     # (n, *S)
    fz = f(z).reshape(n, *([1] * mu.dim()))                                  # (n, 1...)
    d_mu = (z - mu) / sigma ** 2                                             # d log q / d mu
    d_sigma = ((z - mu) ** 2 - sigma ** 2) / sigma ** 3                      # d log q / d sigma
    return torch.stack([fz * d_mu, fz * d_sigma], 1)
