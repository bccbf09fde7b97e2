"""The evidence lower bound.

Syllabus: generative.elbo. Notes: 002 §8.3j, §8.3m-n.

    L(q) = E_q[log p(x|z) + log p(z)] + H(q) = E_q log p(x|z) - KL(q || p(z))
    log p(x) = L(q) + KL(q(z) || p(z|x))  >=  L(q),  equality iff q = p(z|x)

``elbo`` is the Monte Carlo form E_q[log p(x, z) - log q(z)] with reparameterised samples from a
diagonal Gaussian q (so it can be maximised by gradient). At q = p(z|x) every sample equals
log p(x): the estimator then has zero variance. 002 writes E[q_i(z)] where E[log q_i(z)] is meant.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..core import expect, syllabus
from .reparameterization import reparameterize

__all__ = ["elbo"]


@syllabus("generative.elbo")
def elbo(log_joint: Callable[[torch.Tensor], torch.Tensor], mu: torch.Tensor, logvar: torch.Tensor,
         n_samples: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """MC ELBO per example. ``log_joint(z)`` maps z (S, B, d) to log p(x_b, z) (S, B); mu, logvar (B, d)."""
    expect(n_samples >= 1, "n_samples", "an int >= 1", n_samples)
    mu_s = mu.expand(n_samples, *mu.shape)                                   # (S, B, d)
    lv_s = logvar.expand(n_samples, *logvar.shape)
    z = reparameterize(mu_s, lv_s, generator=generator)                      # (S, B, d)
    log_q = (-0.5 * ((z - mu_s) ** 2 / lv_s.exp() + lv_s + math.log(2 * math.pi))).sum(-1)  # (S, B)
    return (log_joint(z) - log_q).mean(0)                                    # (B,)
