"""Graph pooling / coarsening: top-k node selection and DiffPool cluster assignment.

Syllabus: graphs.graph_pooling. Notes: 001 S19.06.

Top-k (Gao & Ji; PyG's TopKPooling):
    score = X p / ||p||;  keep the ceil(ratio N) highest-scoring nodes of each graph;
    X' = X[idx] * tanh(score[idx]);  edges kept only between kept nodes (relabelled).
DiffPool (Ying et al.), with a soft assignment S = softmax(logits) of N nodes to K clusters:
    X' = S^T Z,   A' = S^T A S          (A' symmetric whenever A is)
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..core import expect, syllabus
from .data import check_edge_index

__all__ = ["TopKPooling", "dense_diff_pool"]


@syllabus("graphs.graph_pooling")
class TopKPooling(nn.Module):
    """``TopKPooling(in_channels, ratio)(x, edge_index, batch) -> (x, edge_index, batch, perm, score)``."""

    def __init__(self, in_channels: int, ratio: float = 0.5):
        super().__init__()
        expect(0 < ratio <= 1, "ratio", "a float in (0, 1]", ratio)
        self.ratio = ratio
        self.weight = nn.Parameter(torch.randn(1, in_channels) / in_channels ** 0.5)  # p

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, batch: torch.Tensor | None = None):
        n = x.size(0)
        check_edge_index(edge_index, n)
        if batch is None:
            batch = torch.zeros(n, dtype=torch.long, device=x.device)
        score = (x @ self.weight.t()).squeeze(-1) / self.weight.norm()           # (N,)
        keep = []
        for g in range(int(batch.max()) + 1 if n else 0):                        # top ceil(ratio N_g) per graph
            nodes = (batch == g).nonzero().squeeze(1)
            k = math.ceil(self.ratio * nodes.numel())
            keep.append(nodes[torch.topk(score[nodes], k).indices])
        perm = torch.cat(keep) if keep else torch.zeros(0, dtype=torch.long)
        x_out = x[perm] * torch.tanh(score[perm])[:, None]                       # (N', C)
        new_id = torch.full((n,), -1, dtype=torch.long, device=x.device)
        new_id[perm] = torch.arange(perm.numel(), device=x.device)
        src, dst = new_id[edge_index[0]], new_id[edge_index[1]]
        mask = (src >= 0) & (dst >= 0)
        return x_out, torch.stack([src[mask], dst[mask]]), batch[perm], perm, score[perm]


@syllabus("graphs.graph_pooling")
def dense_diff_pool(z: torch.Tensor, adj: torch.Tensor, s_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """DiffPool coarsening: z (N, C) or (B, N, C), adj (.., N, N), s_logits (.., N, K) -> X', A'."""
    expect(s_logits.shape[:-1] == z.shape[:-1], "s_logits", f"shape {tuple(z.shape[:-1])} + (K,)",
           tuple(s_logits.shape))
    s = torch.softmax(s_logits, dim=-1)                                          # (.., N, K)
    st = s.transpose(-1, -2)                                                     # (.., K, N)
    return st @ z, st @ adj @ s                                                  # (.., K, C), (.., K, K)
