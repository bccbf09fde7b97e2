"""Divergences behind the GAN objective: JS, Wasserstein-1, and the optimal discriminator.

Syllabus: generative.js_divergence, generative.wasserstein_distance, generative.optimal_discriminator.
Notes: 000 L6.11-L6.16; 002 §8.6f,g,h,q,t,u; 003 L11G.12-13.

    JSD(p, q) = 1/2 KL(p || m) + 1/2 KL(q || m),  m = (p + q)/2     (nats; ln 2 for disjoint supports)
    W1(p, q)  = inf_gamma E|x - y| = sup_{Lip f <= 1} E_p f - E_q f;  in 1-D: int |F_p - F_q| dx
    D*(x)     = p_data(x) / (p_data(x) + p_G(x)),   V(D*, G) = 2 JSD(p_data || p_G) - log 4
002 writes V(D*, G) = D_JS (missing the factor 2 and the -log 4).
Tested against scipy.spatial.distance.jensenshannon and scipy.stats.wasserstein_distance.
"""
from __future__ import annotations

import math

import torch

from ..core import expect, syllabus

__all__ = ["js_divergence", "wasserstein_1d", "optimal_discriminator", "gan_value_at_optimum"]


def _xlogy_ratio(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return torch.where(p > 0, p * (p.clamp_min(1e-300).log() - q.clamp_min(1e-300).log()), torch.zeros_like(p))


@syllabus("generative.js_divergence")
def js_divergence(p: torch.Tensor, q: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """JSD in nats between discrete distributions along ``dim`` (inputs are normalised first)."""
    expect(p.shape == q.shape, "q", f"shape {tuple(p.shape)} like p", tuple(q.shape))
    expect(bool((p >= 0).all() and (q >= 0).all()), "p, q", "non-negative weights", "negative entries")
    p = p / p.sum(dim, keepdim=True)
    q = q / q.sum(dim, keepdim=True)
    m = 0.5 * (p + q)
    return 0.5 * _xlogy_ratio(p, m).sum(dim) + 0.5 * _xlogy_ratio(q, m).sum(dim)


@syllabus("generative.wasserstein_distance")
def wasserstein_1d(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """W1 between two 1-D empirical samples: the integral of |F_u - F_v| over the merged support."""
    expect(u.ndim == 1 and u.numel() > 0, "u", "a non-empty 1-D tensor", tuple(u.shape))
    expect(v.ndim == 1 and v.numel() > 0, "v", "a non-empty 1-D tensor", tuple(v.shape))
    u, v = u.double().sort().values, v.double().sort().values
    allv = torch.cat([u, v]).sort().values                                   # (N,)
    deltas = allv[1:] - allv[:-1]                                             # (N-1,)
    cdf_u = torch.searchsorted(u, allv[:-1], right=True).double() / len(u)   # (N-1,)
    cdf_v = torch.searchsorted(v, allv[:-1], right=True).double() / len(v)
    return ((cdf_u - cdf_v).abs() * deltas).sum()


@syllabus("generative.optimal_discriminator")
def optimal_discriminator(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data / (p_data + p_G), pointwise from the two densities (0.5 where both are 0)."""
    expect(p_data.shape == p_model.shape, "p_model", f"shape {tuple(p_data.shape)}", tuple(p_model.shape))
    s = p_data + p_model
    return torch.where(s > 0, p_data / s.clamp_min(1e-300), torch.full_like(s, 0.5))


@syllabus("generative.optimal_discriminator")
def gan_value_at_optimum(p_data: torch.Tensor, p_model: torch.Tensor, dx: float) -> torch.Tensor:
    """V(D*, G) = int p_d log D* + p_G log(1 - D*) dx on a grid with spacing ``dx`` (= 2 JSD - log 4)."""
    d = optimal_discriminator(p_data, p_model)
    a = torch.where(p_data > 0, p_data * d.clamp_min(1e-300).log(), torch.zeros_like(d))
    b = torch.where(p_model > 0, p_model * (1 - d).clamp_min(1e-300).log(), torch.zeros_like(d))
    return (a + b).sum() * dx


