"""Entropy of a discrete distribution, and of a Gaussian in closed form.

Syllabus: foundations.entropy. Notes: 001 S8.34; 002 §8.3k.

    H(p) = -sum_c p_c log p_c                  nats; 0 log 0 = 0; log K for uniform over K
    H(N(mu, sigma^2)) = log(2 pi e sigma^2) / 2   per dimension (independent of mu)

Equal to scipy.stats.entropy and torch.distributions.Normal.entropy (tests/losses/test_shannon_entropy.py).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus
from .risk import reduce_loss

__all__ = ["entropy", "gaussian_entropy"]


@syllabus("foundations.entropy")
def entropy(input: Tensor, reduction: str = "none", dim: int = -1) -> Tensor:
    """H(p) = -sum p log p of probabilities ``input`` along ``dim`` (one value per distribution)."""
    expect(isinstance(input, Tensor) and input.dim() >= 1, "input", "a tensor of probabilities",
           getattr(input, "shape", input))
    expect(bool((input >= 0).all()), "input", "non-negative probabilities", input.min().item())
    return reduce_loss(-torch.xlogy(input, input).sum(dim), reduction)


@syllabus("foundations.entropy")
def gaussian_entropy(std: Tensor | float) -> Tensor:
    """Differential entropy log(2 pi e sigma^2) / 2 of N(mu, sigma^2), elementwise in ``std``."""
    if not torch.is_tensor(std):
        std = torch.tensor(std, dtype=torch.get_default_dtype())
    expect(bool((std > 0).all()), "std", "positive standard deviations", std.min().item())
    return 0.5 * math.log(2 * math.pi * math.e) + std.log()
