"""Latent variable models: p(x) = integral p(x|z) p(z) dz, estimated by sampling.

Syllabus: generative.latent_variable_model. Notes: 001 S15.10; 002 §8.3a-b; 003 L12.07, L0.28.

    z ~ N(0, I),  x ~ p_theta(x|z)
    log p(x) ~= log (1/M) sum_m p(x|z_m),              z_m ~ p(z)       (naive MC)
    log p(x) ~= log (1/M) sum_m p(x|z_m) p(z_m)/q(z_m),  z_m ~ q(z|x)   (importance weighted)

Computed with logsumexp. For the linear-Gaussian model p(x|z) = N(Wz, sigma^2 I) the exact value is
log N(x; 0, W W^T + sigma^2 I) (tests/generative/test_latent_variable_model.py).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["mc_log_likelihood"]


@syllabus("generative.latent_variable_model")
def mc_log_likelihood(log_likelihood: Callable[[torch.Tensor], torch.Tensor], latent_features: int,
                      n_samples: int = 1000, proposal: torch.distributions.Distribution | None = None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Estimate log p(x) for a batch. ``log_likelihood(z)`` maps z (M, d) or (M, B, d) to log p(x|z),
    (M, B). With ``proposal`` (a distribution with batch shape (B, d)) the estimate is importance
    weighted; otherwise z is drawn from the N(0, I) prior."""
    expect(n_samples >= 1, "n_samples", "an int >= 1", n_samples)
    prior = torch.distributions.Normal(0.0, 1.0)
    if proposal is None:
        z = torch.randn(n_samples, latent_features, generator=generator, dtype=torch.float64)   # (M, d)
        log_w = log_likelihood(z)                                                              # (M, B)
    else:
        eps = torch.randn((n_samples, *proposal.batch_shape), generator=generator, dtype=proposal.mean.dtype)
        z = proposal.mean + proposal.stddev * eps                                              # (M, B, d)
        log_w = log_likelihood(z) + prior.log_prob(z).sum(-1) - proposal.log_prob(z).sum(-1)
    return torch.logsumexp(log_w, 0) - math.log(n_samples)                                     # (B,)
