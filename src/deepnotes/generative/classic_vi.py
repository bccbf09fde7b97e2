"""Classic (non-amortised) variational inference: one Gaussian q_i(z) per example.

Syllabus: generative.classic_vi. Notes: 002 §8.3i, §8.3o.

    q_i(z) = N(mu_i, sigma_i^2),  maximise sum_i E_{q_i}[log p_theta(x_i, z)] + H(q_i)
    by gradient ascent on (mu_i, log sigma_i) with reparameterised samples, alternating with theta
    updates (when theta has parameters). |theta| + N (|mu| + |sigma|) parameters in all;
    a VAE replaces the per-example (mu_i, sigma_i) by an encoder (amortisation).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

import torch

from ..core import expect, syllabus

__all__ = ["classic_vi"]


@syllabus("generative.classic_vi")
def classic_vi(log_joint: Callable[[torch.Tensor], torch.Tensor], n_examples: int, latent_features: int,
               steps: int = 800, lr: float = 0.1, n_samples: int = 256, theta: Iterable[torch.Tensor] = (),
               theta_lr: float = 1e-2, generator: torch.Generator | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (mu, sigma), each (N, d). ``log_joint(z)`` maps z (S, N, d) to log p(x_i, z) (S, N).

    SGD on the per-example (mu, log sigma) with antithetic samples (eps, -eps); the returned values average the iterates of the second
    half (Polyak averaging removes the MC noise). One Adam step on ``theta`` per q step when given.
    """
    expect(steps >= 2 and n_samples >= 2, "steps, n_samples", "steps >= 2 and n_samples >= 2", (steps, n_samples))
    mu = torch.zeros(n_examples, latent_features, dtype=torch.float64, requires_grad=True)
    log_sigma = torch.zeros(n_examples, latent_features, dtype=torch.float64, requires_grad=True)
    opt_q = torch.optim.SGD([mu, log_sigma], lr=lr)
    theta = list(theta)
    opt_t = torch.optim.Adam(theta, lr=theta_lr) if theta else None
    avg_mu, avg_ls, count = torch.zeros_like(mu), torch.zeros_like(log_sigma), 0
    for step in range(steps):
        eps = torch.randn(n_samples // 2, n_examples, latent_features, generator=generator, dtype=torch.float64)
        eps = torch.cat([eps, -eps])                                             # antithetic pairs
        z = mu + log_sigma.exp() * eps                                           # (S, N, d)
        entropy = (log_sigma + 0.5 * math.log(2 * math.pi * math.e)).sum()      # sum_i H(q_i)
        objective = log_joint(z).mean(0).sum() + entropy
        opt_q.zero_grad()
        if opt_t:
            opt_t.zero_grad()
        (-objective).backward()
        opt_q.step()
        if opt_t:
            opt_t.step()
        if step >= steps // 2:
            avg_mu += mu.detach()
            avg_ls += log_sigma.detach()
            count += 1
    return avg_mu / count, (avg_ls / count).exp()
