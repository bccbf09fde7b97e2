"""GraphSAGE convolution with mean, max-pool and LSTM aggregators (Hamilton et al. 2017).

Syllabus: graphs.graphsage. Notes: 001 S19.24, S19.26-S19.29.

    h_N(v)^k = AGG_k({h_u^{k-1} : u in N(v)})
        mean:  mean_u h_u
        pool:  max_u sigma(W_pool h_u + b)            (elementwise max)
        lstm:  last LSTM state over the neighbours in a random order
    h_v^k = sigma(W^k [h_v^{k-1} ; h_N(v)^k]) ;   h_v^k <- h_v^k / ||h_v^k||_2

W [a; b] is written as lin_l(b) + lin_r(a) (PyG's SAGEConv parameter names). The weights do
not depend on the graph, so a trained layer runs on unseen graphs (inductive). Use
``sampled_edge_index`` for fixed-size sampled neighbourhoods.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .aggregate import scatter
from .data import check_edge_index

__all__ = ["SAGEConv"]


@syllabus("graphs.graphsage")
class SAGEConv(nn.Module):
    """``SAGEConv(in_channels, out_channels, aggr="mean"|"pool"|"lstm")(x, edge_index)``."""

    def __init__(self, in_channels: int, out_channels: int, aggr: str = "mean", normalize: bool = True,
                 activation: Callable[[torch.Tensor], torch.Tensor] | None = F.relu, bias: bool = True):
        super().__init__()
        expect(aggr in ("mean", "pool", "lstm"), "aggr", "'mean', 'pool' or 'lstm'", aggr)
        self.aggr, self.normalize, self.activation = aggr, normalize, activation
        if aggr == "pool":
            self.pool = nn.Linear(in_channels, in_channels)
        if aggr == "lstm":
            self.lstm = nn.LSTM(in_channels, in_channels, batch_first=True)
        self.lin_l = nn.Linear(in_channels, out_channels, bias=bias)           # neighbours
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False)          # the node itself

    def aggregate(self, x: torch.Tensor, edge_index: torch.Tensor,
                  generator: torch.Generator | None = None) -> torch.Tensor:
        n = x.size(0)
        src, dst = edge_index
        if self.aggr == "mean":
            return scatter(x[src], dst, n, "mean")                              # (N, C)
        if self.aggr == "pool":
            return scatter(torch.relu(self.pool(x[src])), dst, n, "max")        # (N, C)
        # lstm: neighbours of each node in a random order, padded to the largest degree
        perm = torch.randperm(src.numel(), generator=generator)
        order = perm[torch.argsort(dst[perm], stable=True)]                     # grouped by target
        s, d = src[order], dst[order]
        deg = torch.bincount(d, minlength=n)                                    # (N,)
        start = torch.cumsum(deg, 0) - deg
        slot = torch.arange(d.numel()) - start[d]                               # position in its group
        seq = x.new_zeros(n, max(int(deg.max()) if n else 0, 1), x.size(1))     # (N, Dmax, C)
        seq[d, slot] = x[s]
        out, _ = self.lstm(seq)                                                 # (N, Dmax, C)
        last = out[torch.arange(n), (deg - 1).clamp(min=0)]                     # (N, C)
        return torch.where((deg > 0)[:, None], last, torch.zeros_like(last))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        check_edge_index(edge_index, x.size(0))
        h = self.lin_l(self.aggregate(x, edge_index, generator)) + self.lin_r(x)  # W [h_v ; h_N(v)]
        if self.activation is not None:
            h = self.activation(h)
        return F.normalize(h, p=2.0, dim=-1) if self.normalize else h
