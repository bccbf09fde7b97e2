"""Siamese network for verification and one-shot classification.

Syllabus: adaptation_ssl_meta.siamese_network. Notes: 003 L13.16-L13.18.

One encoder f_theta (shared weights) embeds both inputs; g = |f(x_i) - f(x_j)| (element-wise) and
p(same | x_i, x_j) = sigma(w^T g + b), trained with binary cross-entropy on same/different pairs.
One-shot classification: c(x) = argmax_{i in S} p(x, x_i) over the support set S.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["SiameseNetwork"]


@syllabus("adaptation_ssl_meta.siamese_network")
class SiameseNetwork(nn.Module):
    def __init__(self, encoder: nn.Module, dim: int):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(dim, 1)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Logit of p(same) for each pair (B,)."""
        return self.head((self.encoder(x1) - self.encoder(x2)).abs()).squeeze(-1)

    @torch.no_grad()
    def predict(self, query: torch.Tensor, support: torch.Tensor, support_labels: torch.Tensor) -> torch.Tensor:
        """c(x) = label of argmax_i p(x, support_i), for queries (Q, ...) -> (Q,)."""
        expect(len(support) == len(support_labels), "support_labels", f"{len(support)} labels", len(support_labels))
        fq, fs = self.encoder(query), self.encoder(support)              # (Q, D), (S, D)
        scores = self.head((fq[:, None] - fs[None]).abs()).squeeze(-1)   # (Q, S)
        return support_labels[scores.argmax(1)]
