"""The aggregate posterior q(z) = E_x q(z|x) and the split of the average KL.

Syllabus: generative.aggregate_posterior. Notes: 001 S15.08-S15.09.

    E_x KL(q(z|x) || p(z)) = I_q(x; z) + KL(q(z) || p(z)),   q(z) = E_x q(z|x)

so the VAE's KL term pays for both the information z carries about x and the mismatch of the
aggregate posterior with the prior; a well-regularised VAE has q(z) ~= N(0, I). 001's intermediate
lines write "+E log P(z)" where "-E log P(z)" is needed. For a Gaussian encoder the aggregate is
a mixture with mean E[mu] and variance E[sigma^2] + Var[mu] per dimension.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["kl_decomposition", "aggregate_posterior_moments"]


@syllabus("generative.aggregate_posterior")
def kl_decomposition(p_x: torch.Tensor, q_z_given_x: torch.Tensor, p_z: torch.Tensor) -> dict[str, torch.Tensor]:
    """Discrete case: p_x (X,), q_z_given_x (X, Z) rows summing to 1, p_z (Z,).

    Returns {'avg_kl', 'mutual_information', 'marginal_kl'} with avg_kl = MI + marginal_kl."""
    expect(q_z_given_x.shape == (p_x.shape[0], p_z.shape[0]), "q_z_given_x",
           f"shape ({p_x.shape[0]}, {p_z.shape[0]})", tuple(q_z_given_x.shape))
    q_z = p_x @ q_z_given_x                                                   # (Z,) aggregate posterior
    avg_kl = (p_x * (q_z_given_x * (q_z_given_x / p_z).log()).sum(1)).sum()
    mi = (p_x * (q_z_given_x * (q_z_given_x / q_z).log()).sum(1)).sum()
    marginal_kl = (q_z * (q_z / p_z).log()).sum()
    return {"avg_kl": avg_kl, "mutual_information": mi, "marginal_kl": marginal_kl}


def aggregate_posterior_moments(mu: torch.Tensor, logvar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance per dimension of the mixture (1/N) sum_i N(mu_i, diag exp(logvar_i))."""
    return mu.mean(0), logvar.exp().mean(0) + mu.var(0, unbiased=False)
