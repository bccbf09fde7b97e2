"""KL divergence of a diagonal Gaussian from the standard normal, in closed form.

Syllabus: generative.gaussian_kl. Notes: 001 S15.05; 002 §8.3s, P9.

    KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)

Parameterised by the log-variance (what a VAE encoder head emits). 001 drops the factor 1/2.
Zero iff mu = 0 and sigma = 1. Equal to torch.distributions.kl_divergence
(tests/generative/test_vae_objective.py).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["gaussian_kl"]


@syllabus("generative.gaussian_kl")
def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, reduction: str = "none") -> torch.Tensor:
    """Per-example KL summed over the last dim; ``reduction`` "none" (B,), "mean" or "sum"."""
    expect(mu.shape == logvar.shape, "logvar", f"shape {tuple(mu.shape)} like mu", tuple(logvar.shape))
    expect(reduction in ("none", "mean", "sum"), "reduction", "'none', 'mean' or 'sum'", reduction)
    kl = 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(-1)             # (B,)
    return kl if reduction == "none" else getattr(kl, reduction)()
