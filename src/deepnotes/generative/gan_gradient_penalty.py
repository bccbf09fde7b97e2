"""WGAN-GP gradient penalty.

Syllabus: generative.gradient_penalty. Notes: 002 §8.6y.

    GP = lambda * E_xhat (||grad_xhat f(xhat)||_2 - 1)^2,   xhat = eps x_real + (1 - eps) x_fake,
    eps ~ U[0, 1] per example, lambda = 10.
The gradient is taken with create_graph=True, so the penalty back-propagates into the critic's
weights (double backward). 002 places the penalty at data points and gives no lambda; here the
standard interpolates are used. Tested by hand computation and finite differences.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["gradient_penalty"]


@syllabus("generative.gradient_penalty")
def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     weight: float = 10.0, eps: torch.Tensor | None = None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """lambda * mean (||grad f(xhat)|| - 1)^2; ``eps`` (B,) overrides the uniform draw."""
    expect(real.shape == fake.shape, "fake", f"shape {tuple(real.shape)} like real", tuple(fake.shape))
    b = real.shape[0]
    if eps is None:
        eps = torch.rand(b, generator=generator, device=real.device, dtype=real.dtype)
    expect(eps.shape == (b,), "eps", f"shape ({b},)", tuple(eps.shape))
    e = eps.view(b, *([1] * (real.ndim - 1)))                               # (B, 1, ...)
    xhat = (e * real.detach() + (1 - e) * fake.detach()).requires_grad_(True)
    out = critic(xhat)                                                      # (B, 1)
    (g,) = torch.autograd.grad(out.sum(), xhat, create_graph=True)          # (B, ...)
    norm = g.flatten(1).norm(dim=1)                                         # (B,)
    return weight * ((norm - 1) ** 2).mean()
