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
               steps: int = 2000, lr: float = 0.05, n_samples: int = 256, theta: Iterable[torch.Tensor] = (),
               theta_lr: float = 1e-2, generator: torch.Generator | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (mu, sigma), each (N, d). ``log_joint(z)`` maps z (S, N, d) to log p(x_i, z) (S, N).

    Adam on the per-example parameters with the learning rate decayed linearly to 0 (the last
    iterates average out the MC noise); one theta step per q step when ``theta`` is given.
    """
    expect(steps >= 1 and n_samples >= 1, "steps, n_samples", "positive ints", (steps, n_samples))
    mu = torch.zeros(n_examples, latent_features, dtype=torch.float64, requires_grad=True)
    log_sigma = torch.zeros(n_examples, latent_features, dtype=torch.float64, requires_grad=True)
    opt_q = torch.optim.Adam([mu, log_sigma], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt_q, lambda s: 1 - s / steps)
    theta = list(theta)
    opt_t = torch.optim.Adam(theta, lr=theta_lr) if theta else None
    for _ in range(steps):
        eps = torch.randn(n_samples, n_examples, latent_features, generator=generator, dtype=torch.float64)
        z = mu + log_sigma.exp() * eps                                           # (S, N, d)
        entropy = (log_sigma + 0.5 * math.log(2 * math.pi * math.e)).sum()      # sum_i H(q_i)
        objective = log_joint(z).mean(0).sum() + entropy
        opt_q.zero_grad()
        if opt_t:
            opt_t.zero_grad()
        (-objective).backward()
        opt_q.step()
        sched.step()
        if opt_t:
            opt_t.step()
    return mu.detach(), log_sigma.detach().exp()
