"""Graph Laplacians and the graph Fourier transform.

Syllabus: graphs.graph_laplacian, graphs.graph_fourier_transform. Notes: 001 S19.16-S19.18.

    L     = D - A                              combinatorial (D = diag of degrees)
    L_sym = I - D^-1/2 A D^-1/2                normalised (isolated nodes: row of zeros, as networkx)
    L = U diag(lambda) U^T,  0 = lambda_0 <= lambda_1 <= ...   (symmetric PSD)
    GFT:  x_hat = U^T x        inverse:  x = U x_hat

Eigenvectors ordered by eigenvalue are the graph's "frequencies": on the cycle C_n the eigenvalues
are 2 - 2 cos(2 pi k / n) and the eigenvectors are the classical Fourier modes. The number of
zero eigenvalues is the number of connected components. These helpers build dense matrices:
they are for spectral analysis; the layers themselves aggregate sparsely.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from .aggregate import scatter
from .data import check_edge_index, degree, to_dense_adj

__all__ = ["laplacian", "laplacian_matvec", "laplacian_eigen", "graph_fourier_transform",
           "inverse_graph_fourier_transform"]


@syllabus("graphs.graph_laplacian")
def laplacian(edge_index: torch.Tensor, num_nodes: int, normalization: str | None = None,
              edge_weight: torch.Tensor | None = None, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Dense (N, N) Laplacian: ``normalization=None`` gives D - A, ``"sym"`` gives I - D^-1/2 A D^-1/2."""
    expect(normalization in (None, "sym"), "normalization", "None or 'sym'", normalization)
    a = to_dense_adj(edge_index, num_nodes, edge_weight).to(dtype)             # (N, N)
    deg = a.sum(1)                                                              # (N,)
    if normalization is None:
        return torch.diag(deg) - a
    inv_sqrt = torch.where(deg > 0, deg.rsqrt(), torch.zeros_like(deg))
    return torch.diag((deg > 0).to(dtype)) - inv_sqrt[:, None] * a * inv_sqrt[None, :]


@syllabus("graphs.graph_laplacian")
def laplacian_matvec(x: torch.Tensor, edge_index: torch.Tensor, normalization: str | None = "sym",
                     edge_weight: torch.Tensor | None = None) -> torch.Tensor:
    """L @ x without forming L (sparse): x (N, C) -> (N, C). Used by ChebConv."""
    n = x.size(0)
    check_edge_index(edge_index, n)
    src, dst = edge_index
    w = edge_weight if edge_weight is not None else x.new_ones(edge_index.size(1))  # (E,)
    deg = x.new_zeros(n).index_add_(0, dst, w)                                  # (N,)
    if normalization is None:
        return deg[:, None] * x - scatter(w[:, None] * x[src], dst, n)
    inv_sqrt = torch.where(deg > 0, deg.rsqrt(), torch.zeros_like(deg))
    norm = inv_sqrt[src] * w * inv_sqrt[dst]                                    # (E,)
    return (deg > 0).to(x.dtype)[:, None] * x - scatter(norm[:, None] * x[src], dst, n)


@syllabus("graphs.graph_laplacian", "graphs.graph_fourier_transform")
def laplacian_eigen(edge_index: torch.Tensor, num_nodes: int, normalization: str | None = None,
                    dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """(eigenvalues (N,) ascending, eigenvectors U (N, N) as columns) of the Laplacian."""
    return torch.linalg.eigh(laplacian(edge_index, num_nodes, normalization, dtype=dtype))


@syllabus("graphs.graph_fourier_transform")
def graph_fourier_transform(x: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """x_hat = U^T x: signal on nodes (N,) or (N, C) -> coefficients per frequency."""
    expect(x.size(0) == U.size(0), "x", f"{U.size(0)} rows (one per node)", tuple(x.shape))
    return U.t() @ x


@syllabus("graphs.graph_fourier_transform")
def inverse_graph_fourier_transform(x_hat: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """x = U x_hat."""
    expect(x_hat.size(0) == U.size(1), "x_hat", f"{U.size(1)} rows (one per frequency)", tuple(x_hat.shape))
    return U @ x_hat
