"""NT-Xent: normalised temperature-scaled cross-entropy over 2N views (SimCLR's loss).

Syllabus: adaptation_ssl_meta.nt_xent. Notes: 003 L13.29.

With z_1..z_2N the projections of N images under two augmentations (z_i and z_{i+N} a positive
pair) and sim(u, v) = u.v / (|u| |v|):

    l(i, j) = -log [ exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau) ]
    L = (1 / 2N) sum_i l(i, pos(i))

i.e. a cross-entropy over each row of the 2N x 2N similarity matrix with the diagonal removed.
Errata: 003 calls tau 'learnable'; in SimCLR it is a fixed hyper-parameter (0.5 here).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["nt_xent_loss"]


@syllabus("adaptation_ssl_meta.nt_xent")
def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """Mean NT-Xent over the 2N views; z1[i] and z2[i] (each (N, D)) are the positive pair."""
    expect(z1.shape == z2.shape and z1.dim() == 2, "z2", f"a (N, D) tensor like z1 {tuple(z1.shape)}",
           tuple(z2.shape))
    expect(temperature > 0, "temperature", "a positive float", temperature)
    N = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)                        # (2N, D)
    sim = z @ z.T / temperature                                          # (2N, 2N)
    sim = sim.masked_fill(torch.eye(2 * N, dtype=torch.bool, device=z.device), float("-inf"))
    pos = torch.cat([torch.arange(N, 2 * N), torch.arange(N)]).to(z.device)  # (2N,)
    return F.cross_entropy(sim, pos)
