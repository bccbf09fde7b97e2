"""Spectral graph convolution: filter a signal in the Laplacian eigenbasis.

Syllabus: graphs.spectral_graph_conv. Notes: 001 S19.19.

    y = U diag(theta) U^T x           theta learned per eigenvalue (one per frequency), or
    y = U diag(p(lambda)) U^T x = p(L) x   for a polynomial p (no eigendecomposition needed).

The free-theta layer needs the dense eigenbasis of one fixed graph (N parameters per channel
pair, not transferable between graphs): the motivation for ChebNet and GCN.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["spectral_filter", "SpectralGraphConv"]


@syllabus("graphs.spectral_graph_conv")
def spectral_filter(x: torch.Tensor, U: torch.Tensor, eigenvalues: torch.Tensor,
                    response: Callable[[torch.Tensor], torch.Tensor] | torch.Tensor) -> torch.Tensor:
    """U diag(g) U^T x with g = response(eigenvalues) (or a given (N,) tensor): x (N,) or (N, C)."""
    g = response(eigenvalues) if callable(response) else response               # (N,)
    expect(g.shape == eigenvalues.shape, "response", f"one value per eigenvalue {tuple(eigenvalues.shape)}",
           tuple(g.shape))
    x_hat = U.t() @ x                                                           # (N, C)
    return U @ (g.view(-1, *([1] * (x.dim() - 1))) * x_hat)


@syllabus("graphs.spectral_graph_conv")
class SpectralGraphConv(nn.Module):
    """y = sum_c U diag(theta[c, o]) U^T x[:, c] on one graph with eigenbasis U (N, N)."""

    def __init__(self, U: torch.Tensor, in_channels: int, out_channels: int):
        super().__init__()
        self.register_buffer("U", U.clone())
        n = U.size(0)
        self.theta = nn.Parameter(torch.randn(in_channels, out_channels, n) / in_channels ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect(x.dim() == 2 and x.size(0) == self.U.size(0), "x", f"shape ({self.U.size(0)}, C)", tuple(x.shape))
        U = self.U.to(x.dtype)
        x_hat = U.t() @ x                                                       # (N, Cin) frequencies
        y_hat = torch.einsum("nc,con->no", x_hat, self.theta.to(x.dtype))       # (N, Cout)
        return U @ y_hat
