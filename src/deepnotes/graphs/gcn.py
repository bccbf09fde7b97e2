"""Graph convolutional network layer (Kipf & Welling), normalised as PyG's ``GCNConv``.

Syllabus: graphs.gcn. Notes: 001 S19.19, S19.21.

    A~ = A + I,   D~_ii = sum_j A~_ij
    H' = D~^-1/2 A~ D~^-1/2 H W + b                  (renormalisation trick)

computed as messages on edges: norm_e = d~_src^-1/2 d~_dst^-1/2, out[dst] += norm_e (x W)[src]
(index_add_, no dense N x N). Parameters ``lin.weight`` (out, in) and ``bias`` (out,) as PyG. ``cached=True`` (one fixed
graph, as PyG's) keeps the normalised adjacency of the first call as a CSR matrix and later calls
take the fast path, torch.sparse.mm (tests check both paths agree).
Without the self loops (``add_self_loops=False`` and the normalised Laplacian), the layer is
the first-order ChebNet with theta_0 = -theta_1 and lambda_max = 2:  (I + D^-1/2 A D^-1/2) x W.
"""
from __future__ import annotations

import warnings

import torch
from torch import nn

from ..core import expect, syllabus
from .aggregate import scatter
from .data import add_self_loops, check_edge_index

__all__ = ["gcn_norm", "GCNConv", "GCN"]


def gcn_norm(edge_index: torch.Tensor, num_nodes: int, edge_weight: torch.Tensor | None = None,
             add_loops: bool = True, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """(edge_index with self loops, per-edge weight d_src^-1/2 w d_dst^-1/2)."""
    check_edge_index(edge_index, num_nodes)
    if add_loops:
        if edge_weight is not None:
            keep = edge_index[0] != edge_index[1]
            edge_weight = torch.cat([edge_weight[keep], edge_weight.new_ones(num_nodes)])
        edge_index = add_self_loops(edge_index, num_nodes)
    w = edge_weight if edge_weight is not None else torch.ones(edge_index.size(1), dtype=dtype,
                                                               device=edge_index.device)
    deg = w.new_zeros(num_nodes).index_add_(0, edge_index[1], w)               # (N,)
    inv_sqrt = torch.where(deg > 0, deg.rsqrt(), torch.zeros_like(deg))
    return edge_index, inv_sqrt[edge_index[0]] * w * inv_sqrt[edge_index[1]]    # (2, E'), (E',)


@syllabus("graphs.gcn")
def _csr(edge_index: torch.Tensor, w: torch.Tensor, n: int) -> torch.Tensor:
    """A^ as a CSR matrix with A^[dst, src] = w (duplicates summed, like index_add_)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                                          # "CSR support is in beta"
        coo = torch.sparse_coo_tensor(edge_index.flip(0), w.detach(), (n, n), check_invariants=False)
        return coo.coalesce().to_sparse_csr()


class GCNConv(nn.Module):
    """``GCNConv(in_channels, out_channels)(x, edge_index)``: x (N, in) -> (N, out)."""

    def __init__(self, in_channels: int, out_channels: int, add_self_loops: bool = True,
                 normalize: bool = True, bias: bool = True, cached: bool = False):
        super().__init__()
        self.cached, self._cache = cached, None                                 # PyG's cached=True: one fixed graph
        self.in_channels, self.out_channels = in_channels, out_channels
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        nn.init.xavier_uniform_(self.lin.weight)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor,
                edge_weight: torch.Tensor | None = None) -> torch.Tensor:
        n = x.size(0)
        expect(x.dim() == 2 and x.size(1) == self.in_channels, "x",
               f"node features of shape (N, {self.in_channels})", tuple(x.shape))
        if self.cached and self._cache is not None:                              # fast path: fused sparse matmul
            out = torch.sparse.mm(self._cache.to(x.dtype), self.lin(x))         # (N, out)
            return out + self.bias if self.bias is not None else out
        if self.normalize:
            edge_index, w = gcn_norm(edge_index, n, edge_weight, self.add_self_loops, x.dtype)
        else:
            check_edge_index(edge_index, n)
            w = edge_weight if edge_weight is not None else x.new_ones(edge_index.size(1))
        if self.cached:
            self._cache = _csr(edge_index, w, n)
        h = self.lin(x)                                                          # (N, out)
        out = scatter(w[:, None] * h[edge_index[0]], edge_index[1], n)          # (N, out) = A^ h
        return out + self.bias if self.bias is not None else out


class GCN(nn.Module):
    """A stack of GCNConv layers with ReLU and dropout between them: sizes [in, h1, ..., out]."""

    def __init__(self, sizes: list[int], dropout: float = 0.0):
        super().__init__()
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = dropout

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, return_hidden: bool = False):
        hidden = []
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = torch.nn.functional.dropout(x.relu(), self.dropout, self.training)
                hidden.append(x)
        return (x, hidden) if return_hidden else x
