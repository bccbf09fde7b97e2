"""Spatial graph convolution: each node aggregates messages from its neighbours.

Syllabus: graphs.spatial_graph_conv. Notes: 000 L4.45; 001 S19.03-S19.05, S19.23.

    x'_i = AGG_{j in N(i)} h_theta(x_i, x_j)        AGG in {sum, mean, max}
    simple form:  h'_i = sigma(W mean_{j in N(i) + {i}} h_j)

Here h_theta(x_i, x_j) = W x_j (+ optional root term W_r x_i): messages run along edges
(source j -> target i) and are reduced with index_add_/scatter_reduce, so sum aggregation is
exactly A^T X W in dense form (A X W for undirected graphs), and relabelling the nodes permutes
the output the same way (permutation equivariance). 001 writes h_theta(x_i, y_i); the second
argument is the neighbour x_j.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus
from .aggregate import scatter
from .data import add_self_loops, check_edge_index

__all__ = ["SpatialGraphConv"]


@syllabus("graphs.spatial_graph_conv")
class SpatialGraphConv(nn.Module):
    """x'_i = AGG_j W x_j (+ W_root x_i) + b; ``self_loops=True`` includes i in its own neighbourhood."""

    def __init__(self, in_channels: int, out_channels: int, aggr: str = "sum", self_loops: bool = False,
                 root_weight: bool = False, bias: bool = True):
        super().__init__()
        expect(aggr in ("sum", "mean", "max"), "aggr", "'sum', 'mean' or 'max'", aggr)
        self.aggr, self.self_loops = aggr, self_loops
        self.lin = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_root = nn.Linear(in_channels, out_channels, bias=False) if root_weight else None

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        check_edge_index(edge_index, n)
        if self.self_loops:
            edge_index = add_self_loops(edge_index, n)
        src, dst = edge_index
        msg = x[src] @ self.lin.weight.t()                                      # (E, out) h(x_i, x_j)
        out = scatter(msg, dst, n, self.aggr)                                   # (N, out)
        if self.lin.bias is not None:
            out = out + self.lin.bias
        if self.lin_root is not None:
            out = out + self.lin_root(x)
        return out
