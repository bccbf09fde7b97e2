"""MoNet: mixture-model graph convolution with Gaussian kernels on pseudo-coordinates (Monti et al.).

Syllabus: graphs.monet. Notes: 001 S19.30-S19.33.

    u(i, j) = (1/sqrt(deg i), 1/sqrt(deg j))                       pseudo-coordinates of edge j -> i
    w_p(u)  = exp(-1/2 sum_d (u_d - mu_pd)^2 / sigma_pd^2)          P Gaussians, diagonal covariance
    D_p(i) x = sum_{j in N(i)} w_p(u(i, j)) x_j
    x'_i    = sum_p g_p D_p(i) x   (+ root x_i W_r + b)

g is stored as PyG's GMMConv does, ``g`` (in, P * out); ``mu`` and ``sigma`` are (P, dim).
Geodesic and anisotropic CNNs are special choices of u and w. With P = 1, mu = 0 and
sigma -> infinity every weight is 1: plain sum aggregation.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus
from .aggregate import scatter
from .data import check_edge_index, degree

__all__ = ["degree_pseudo_coords", "MoNetConv"]


@syllabus("graphs.monet")
def degree_pseudo_coords(edge_index: torch.Tensor, num_nodes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(E, 2) pseudo-coordinates (1/sqrt(deg target), 1/sqrt(deg source)) per edge, in ``dtype``."""
    check_edge_index(edge_index, num_nodes)
    deg = degree(edge_index[1], num_nodes, dtype=dtype).clamp(min=1)             # (N,)
    return torch.stack([deg[edge_index[1]].rsqrt(), deg[edge_index[0]].rsqrt()], dim=1)


@syllabus("graphs.monet")
class MoNetConv(nn.Module):
    """``MoNetConv(in_channels, out_channels, dim, kernel_size)(x, edge_index, pseudo)``."""

    def __init__(self, in_channels: int, out_channels: int, dim: int = 2, kernel_size: int = 4,
                 root_weight: bool = True, bias: bool = True):
        super().__init__()
        self.out_channels, self.K, self.dim = out_channels, kernel_size, dim
        self.g = nn.Parameter(torch.empty(in_channels, kernel_size * out_channels))
        self.mu = nn.Parameter(torch.rand(kernel_size, dim))
        self.sigma = nn.Parameter(torch.ones(kernel_size, dim))
        self.root = nn.Linear(in_channels, out_channels, bias=False) if root_weight else None
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        nn.init.xavier_uniform_(self.g)

    def kernel_weights(self, pseudo: torch.Tensor) -> torch.Tensor:
        """(E, P) Gaussian weights w_p(u) of each edge's pseudo-coordinates u (E, dim)."""
        diff = pseudo[:, None, :] - self.mu[None]                                # (E, P, dim)
        return torch.exp(-0.5 * (diff.pow(2) / self.sigma[None].pow(2)).sum(-1))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, pseudo: torch.Tensor | None = None) -> torch.Tensor:
        n = x.size(0)
        check_edge_index(edge_index, n)
        if pseudo is None:
            pseudo = degree_pseudo_coords(edge_index, n, dtype=x.dtype)
        expect(pseudo.shape == (edge_index.size(1), self.dim), "pseudo",
               f"shape (E, {self.dim}) = ({edge_index.size(1)}, {self.dim})", tuple(pseudo.shape))
        src, dst = edge_index
        xg = (x @ self.g).view(n, self.K, self.out_channels)                     # (N, P, out)
        w = self.kernel_weights(pseudo)                                          # (E, P)
        msg = (w[..., None] * xg[src]).sum(1)                                    # (E, out)
        out = scatter(msg, dst, n)                                               # (N, out)
        if self.root is not None:
            out = out + self.root(x)
        return out + self.bias if self.bias is not None else out
