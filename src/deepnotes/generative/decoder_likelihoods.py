"""Decoder likelihoods -log p(x|z) for a VAE or autoregressive decoder.

Syllabus: generative.decoder_likelihoods. Notes: 002 §8.3c-f.

    Gaussian:     -log N(x; mu, sigma^2) = (x - mu)^2 / (2 sigma^2) + log sigma + 1/2 log 2 pi
                  (sigma = 1: 1/2 MSE + const)
    Bernoulli:    -[x log p + (1 - x) log(1 - p)]           (binary pixels; logits in, as BCE)
    Categorical:  -log softmax(logits)[x]                   (256-way per sub-pixel)
    Discretised logistic (named only in the notes): the mass of bin k of [-1, 1] split into
                  ``bins`` levels is sigmoid((c_k + h - m)/s) - sigmoid((c_k - h - m)/s), with the
                  edge bins taking the tails, so the masses sum to 1.

All return the NLL summed over every non-batch dim, one value per example (reduction="none").
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["gaussian_nll", "bernoulli_nll", "categorical_nll", "discretized_logistic_log_probs"]


def _reduce(nll: torch.Tensor, reduction: str) -> torch.Tensor:
    expect(reduction in ("none", "mean", "sum"), "reduction", "'none', 'mean' or 'sum'", reduction)
    nll = nll.flatten(1).sum(1)                                              # (B,)
    return nll if reduction == "none" else getattr(nll, reduction)()


@syllabus("generative.decoder_likelihoods")
def gaussian_nll(mean: torch.Tensor, target: torch.Tensor, std: float | torch.Tensor = 1.0,
                 reduction: str = "none") -> torch.Tensor:
    std = torch.as_tensor(std, dtype=mean.dtype)
    expect(bool((std > 0).all()), "std", "positive", std)
    nll = (target - mean) ** 2 / (2 * std ** 2) + std.log() + 0.5 * math.log(2 * math.pi)
    return _reduce(nll, reduction)


def bernoulli_nll(logits: torch.Tensor, target: torch.Tensor, reduction: str = "none") -> torch.Tensor:
    return _reduce(F.binary_cross_entropy_with_logits(logits, target, reduction="none"), reduction)


def categorical_nll(logits: torch.Tensor, target: torch.Tensor, reduction: str = "none") -> torch.Tensor:
    """logits (B, K, *), integer target (B, *)."""
    expect(logits.dim() == target.dim() + 1, "logits", "(B, K, *) with target (B, *)", tuple(logits.shape))
    return _reduce(F.cross_entropy(logits, target, reduction="none"), reduction)


def discretized_logistic_log_probs(loc: torch.Tensor, log_scale: torch.Tensor, bins: int = 256) -> torch.Tensor:
    """Log-mass of each of ``bins`` levels on [-1, 1]; loc, log_scale (*S) -> (*S, bins)."""
    expect(bins >= 2, "bins", "an int >= 2", bins)
    centres = torch.linspace(-1, 1, bins, dtype=loc.dtype)                    # (bins,)
    half = 1.0 / (bins - 1)
    inv_s = torch.exp(-log_scale).unsqueeze(-1)                               # (*S, 1)
    x = centres - loc.unsqueeze(-1)                                           # (*S, bins)
    cdf_plus = torch.sigmoid(inv_s * (x + half))
    cdf_minus = torch.sigmoid(inv_s * (x - half))
    cdf_plus[..., -1] = 1.0                                                   # top bin takes the upper tail
    cdf_minus[..., 0] = 0.0                                                   # bottom bin the lower tail
    return torch.log((cdf_plus - cdf_minus).clamp_min(1e-12))
