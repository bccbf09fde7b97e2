"""The error surface on a 2-D slice of parameter space.

Syllabus: optimization.loss_landscape_grid. Notes: 000 L1.10.

    S[a, b] = L(theta0 + alpha_a d1 + beta_b d2)

For a model with two parameters (linear regression's w and b) take theta0 = 0 and d1, d2 the unit
axes: S is the whole error surface, ready for ``contour`` and for overlaying an optimiser's path.
For a network, d1 and d2 are (e.g. random) directions through a trained theta0.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["loss_landscape_grid"]


@syllabus("optimization.loss_landscape_grid")
@torch.no_grad()
def loss_landscape_grid(loss_fn: Callable[[torch.Tensor], torch.Tensor], theta0: torch.Tensor,
                        d1: torch.Tensor, d2: torch.Tensor, alphas: torch.Tensor,
                        betas: torch.Tensor, batched: bool = False) -> torch.Tensor:
    """(len(alphas), len(betas)) losses; ``batched`` loss_fn takes a (K, n) stack of thetas."""
    expect(theta0.dim() == 1, "theta0", "a 1-D parameter vector", tuple(theta0.shape))
    expect(d1.shape == theta0.shape and d2.shape == theta0.shape, "d1/d2",
           f"directions shaped like theta0 {tuple(theta0.shape)}", (tuple(d1.shape), tuple(d2.shape)))
    A, B = torch.meshgrid(alphas, betas, indexing="ij")                          # (na, nb)
    thetas = theta0 + A.reshape(-1, 1) * d1 + B.reshape(-1, 1) * d2              # (na*nb, n)
    if batched:
        values = loss_fn(thetas).reshape(-1)
    else:
        values = torch.stack([loss_fn(t).reshape(()) for t in thetas])
    return values.reshape(A.shape)
