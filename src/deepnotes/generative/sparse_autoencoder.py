"""Sparse autoencoder: reconstruction plus a penalty that keeps few hidden units active.

Syllabus: generative.sparse_autoencoder. Notes: 002 §8.2f-i.

    L = ||x - f(h)||^2 + lambda ||h||_1,          h = g(x)  (ReLU code, may be overcomplete)
    or the lifetime penalty  sum_j KL(rho || rho^_j),  rho^_j = mean_i h_ij  (sigmoid code, rho=0.05)
    KL(rho || rho^) = rho log(rho/rho^) + (1 - rho) log((1 - rho)/(1 - rho^))

The notes also name spike-and-slab sparsity; it is not implemented (named only).
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["SparseAutoencoder", "l1_sparsity", "kl_sparsity"]


def l1_sparsity(h: torch.Tensor) -> torch.Tensor:
    """Mean over examples of ||h_i||_1; h (B, H)."""
    return h.abs().sum(-1).mean()


def kl_sparsity(h: torch.Tensor, rho: float = 0.05, eps: float = 1e-8) -> torch.Tensor:
    """sum_j KL(Bernoulli(rho) || Bernoulli(rho^_j)) with rho^_j the batch mean activation in (0, 1)."""
    expect(0 < rho < 1, "rho", "a target activation in (0, 1)", rho)
    rho_hat = h.mean(0).clamp(eps, 1 - eps)                                  # (H,)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


@syllabus("generative.sparse_autoencoder")
class SparseAutoencoder(nn.Module):
    """One hidden layer h = act(W x + b) (``penalty`` "l1": ReLU; "kl": sigmoid), linear decoder."""

    def __init__(self, in_features: int, hidden_features: int, penalty: str = "l1", weight: float = 1e-2,
                 rho: float = 0.05):
        super().__init__()
        expect(penalty in ("l1", "kl"), "penalty", "'l1' or 'kl'", penalty)
        expect(weight >= 0, "weight", "a non-negative float", weight)
        self.encoder = nn.Linear(in_features, hidden_features)
        self.decoder = nn.Linear(hidden_features, in_features)
        self.penalty, self.weight, self.rho = penalty, weight, rho

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        a = self.encoder(x)                                                   # (B, H)
        return torch.relu(a) if self.penalty == "l1" else torch.sigmoid(a)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))                                   # (B, D)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encode(x)
        rec = ((self.decoder(h) - x) ** 2).sum(-1).mean()
        reg = l1_sparsity(h) if self.penalty == "l1" else kl_sparsity(h, self.rho)
        return rec + self.weight * reg
