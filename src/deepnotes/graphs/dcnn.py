"""Diffusion-convolution neural network (DCNN, Atwood & Towsley) as in the notes' node version.

Syllabus: graphs.dcnn. Notes: 000 L4.48.

    h_v^k = w^k (elementwise) MEAN{ x_u : d(u, v) = k + 1 }      k = 0 .. K-1, INPUT features x
    node representation  z_v = W concat_k h_v^k

d is the shortest-path distance. The hop sets are found once by breadth-first search and kept as
(pairs of nodes at distance k+1) edge lists, so the layer itself aggregates sparsely.
"""
from __future__ import annotations

from collections import deque

import torch
from torch import nn

from ..core import syllabus
from .aggregate import scatter
from .data import check_edge_index

__all__ = ["hop_pairs", "DCNN"]


@syllabus("graphs.dcnn")
def hop_pairs(edge_index: torch.Tensor, num_nodes: int, max_hops: int) -> list[torch.Tensor]:
    """[pairs at distance 1, ..., pairs at distance max_hops]; each (2, P) as (source u, target v)."""
    check_edge_index(edge_index, num_nodes)
    nbrs: list[list[int]] = [[] for _ in range(num_nodes)]
    for u, v in edge_index.t().tolist():
        nbrs[v].append(u)                                                       # u -> v: u reaches v
    pairs: list[list[tuple[int, int]]] = [[] for _ in range(max_hops)]
    for v in range(num_nodes):                                                  # BFS from each node
        dist = {v: 0}
        queue = deque([v])
        while queue:
            w = queue.popleft()
            if dist[w] == max_hops:
                continue
            for u in nbrs[w]:
                if u not in dist:
                    dist[u] = dist[w] + 1
                    pairs[dist[u] - 1].append((u, v))
                    queue.append(u)
    return [torch.tensor(p, dtype=torch.long).t().reshape(2, -1) for p in pairs]


@syllabus("graphs.dcnn")
class DCNN(nn.Module):
    """``DCNN(in_channels, num_hops, out_channels)(x, edge_index)`` -> (N, out)."""

    def __init__(self, in_channels: int, num_hops: int, out_channels: int):
        super().__init__()
        self.num_hops = num_hops
        self.hop_weight = nn.Parameter(torch.ones(num_hops, in_channels))       # w^k
        self.lin = nn.Linear(num_hops * in_channels, out_channels)              # W

    def hop_means(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """(N, K, C): mean of input features over nodes at distance k + 1 (0 if none)."""
        n = x.size(0)
        return torch.stack([scatter(x[p[0]], p[1], n, "mean")
                            for p in hop_pairs(edge_index, n, self.num_hops)], dim=1)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = self.hop_weight * self.hop_means(x, edge_index)                     # (N, K, C)
        return self.lin(h.flatten(1))                                           # (N, out)
