"""Matching networks: attention over the support set, labels voted by cosine-softmax weights.

Syllabus: adaptation_ssl_meta.matching_networks. Notes: 003 L13.19.

    y_hat(x) = sum_{(x_i, y_i) in S} a(x, x_i) y_i,
    a(x, x_i) = exp(cos(f(x), g(x_i))) / sum_j exp(cos(f(x), g(x_j)))

with y_i one-hot, so y_hat is a distribution over the episode's classes; trained episodically with
the cross-entropy of log y_hat. Errata: 003's formula reuses the index i and writes x_{nk}; this is
the standard form (Vinyals et al.).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import syllabus

__all__ = ["matching_attention", "MatchingNetwork"]


def matching_attention(fq: torch.Tensor, gs: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """a (Q, S) = softmax over the support of scale * cos(f(x), g(x_i)); rows sum to 1."""
    return (scale * F.normalize(fq, dim=1) @ F.normalize(gs, dim=1).T).softmax(1)


@syllabus("adaptation_ssl_meta.matching_networks")
class MatchingNetwork(nn.Module):
    """f embeds queries, g the support (g = f when ``support_encoder`` is None)."""

    def __init__(self, encoder: nn.Module, support_encoder: nn.Module | None = None, scale: float = 10.0):
        super().__init__()
        self.encoder = encoder
        self.support_encoder = support_encoder
        self.scale = scale

    def forward(self, query: torch.Tensor, support: torch.Tensor, support_labels: torch.Tensor,
                n_way: int) -> torch.Tensor:
        """Class probabilities y_hat (Q, n_way)."""
        g = self.support_encoder or self.encoder
        a = matching_attention(self.encoder(query), g(support), self.scale)   # (Q, S)
        return a @ F.one_hot(support_labels, n_way).float()                    # (Q, n_way)
