"""Chebyshev polynomial graph filters (ChebNet, Defferrard et al.), as PyG's ``ChebConv``.

Syllabus: graphs.chebyshev_graph_conv. Notes: 001 S19.20.

    L~ = 2 L / lambda_max - I                 (L = normalised Laplacian, lambda_max = 2 by default)
    T_0 = x,  T_1 = L~ x,  T_k = 2 L~ T_{k-1} - T_{k-2}
    y   = sum_{k<K} T_k(L~) x  Theta_k + b

Each L~ x is a sparse Laplacian product, so the filter is K-1 hops local: a node's output does
not depend on features more than K-1 hops away. Equal to U diag(sum_k theta_k T_k(lambda~)) U^T x.
Parameters ``lins.k.weight`` (out, in) and ``bias`` as PyG.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus
from .laplacians import laplacian_matvec

__all__ = ["ChebConv"]


@syllabus("graphs.chebyshev_graph_conv")
class ChebConv(nn.Module):
    """``ChebConv(in_channels, out_channels, K)(x, edge_index, lambda_max=2.0)``."""

    def __init__(self, in_channels: int, out_channels: int, K: int, normalization: str | None = "sym",
                 bias: bool = True):
        super().__init__()
        expect(K >= 1, "K", "an integer >= 1", K)
        self.K, self.normalization = K, normalization
        self.lins = nn.ModuleList(nn.Linear(in_channels, out_channels, bias=False) for _ in range(K))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        for lin in self.lins:
            nn.init.xavier_uniform_(lin.weight)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, lambda_max: float = 2.0,
                edge_weight: torch.Tensor | None = None) -> torch.Tensor:
        scaled = lambda h: 2.0 / lambda_max * laplacian_matvec(h, edge_index, self.normalization, edge_weight) - h
        t_prev, out = x, self.lins[0](x)                                        # (N, in), (N, out)
        if self.K > 1:
            t = scaled(x)
            out = out + self.lins[1](t)
            for k in range(2, self.K):
                t_prev, t = t, 2.0 * scaled(t) - t_prev
                out = out + self.lins[k](t)
        return out + self.bias if self.bias is not None else out
