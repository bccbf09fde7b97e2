"""Relation networks: a learned similarity between a query and each class embedding.

Syllabus: adaptation_ssl_meta.relation_networks. Notes: 003 L13.22.

    c_k = sum of f over the support of class k,   r_{q,k} = g_phi([f(x_q); c_k]) in (0, 1)

with g_phi an MLP ending in a sigmoid, trained with the mean squared error to 1 (same class) and
0 (different class).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import syllabus

__all__ = ["RelationNetwork", "relation_mse"]


@syllabus("adaptation_ssl_meta.relation_networks")
class RelationNetwork(nn.Module):
    def __init__(self, encoder: nn.Module, dim: int, hidden: int = 32):
        super().__init__()
        self.encoder = encoder
        self.relation = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, query: torch.Tensor, support: torch.Tensor, support_labels: torch.Tensor,
                n_way: int) -> torch.Tensor:
        """Relation scores (Q, n_way) in (0, 1)."""
        fs = self.encoder(support)                                           # (S, D)
        c = torch.zeros(n_way, fs.shape[1], dtype=fs.dtype).index_add_(0, support_labels, fs)  # (n_way, D)
        fq = self.encoder(query)                                             # (Q, D)
        pair = torch.cat([fq[:, None].expand(-1, n_way, -1), c[None].expand(len(fq), -1, -1)], -1)  # (Q, n, 2D)
        return torch.sigmoid(self.relation(pair).squeeze(-1))               # (Q, n_way)


def relation_mse(scores: torch.Tensor, query_labels: torch.Tensor) -> torch.Tensor:
    """MSE of relation scores (Q, n_way) to one-hot targets."""
    return F.mse_loss(scores, F.one_hot(query_labels, scores.shape[1]).float())
