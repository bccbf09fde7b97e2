"""Recurrent GNN (Scarselli et al.): iterate a contractive node update to its fixed point.

Syllabus: graphs.recurrent_gnn. Notes: 001 S19.02.

    h_v <- f(x_v, {x_u, h_u : u in N(v)}) = tanh( (A^ h W)_v + x_v U + b )    until ||dh|| < tol

A^ = D~^-1/2 (A + I) D~^-1/2 has spectral norm <= 1 and tanh is 1-Lipschitz, so rescaling W to
spectral norm ``contraction`` < 1 makes f a contraction: Banach's theorem gives a unique fixed
point h* = f(h*) reached from any start.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus
from .aggregate import scatter
from .gcn import gcn_norm

__all__ = ["RecurrentGNN"]


@syllabus("graphs.recurrent_gnn")
class RecurrentGNN(nn.Module):
    """``RecurrentGNN(in_channels, hidden, out_channels)(x, edge_index) -> (N, out)``."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int | None = None,
                 contraction: float = 0.9, tol: float = 1e-6, max_iter: int = 500):
        super().__init__()
        expect(0 < contraction < 1, "contraction", "a float in (0, 1)", contraction)
        self.contraction, self.tol, self.max_iter = contraction, tol, max_iter
        self.W = nn.Parameter(torch.randn(hidden, hidden) / hidden ** 0.5)
        self.U = nn.Linear(in_channels, hidden)
        self.head = nn.Linear(hidden, out_channels) if out_channels else None
        self.num_iterations = 0

    def contractive_weight(self) -> torch.Tensor:
        norm = torch.linalg.matrix_norm(self.W, ord=2)
        return self.W * (self.contraction / torch.clamp(norm, min=self.contraction))

    def step(self, h: torch.Tensor, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """One application of f: h (N, H) -> (N, H)."""
        n = x.size(0)
        ei, w = gcn_norm(edge_index, n, dtype=x.dtype)
        agg = scatter(w[:, None] * h[ei[0]], ei[1], n)                           # (N, H) = A^ h
        return torch.tanh(agg @ self.contractive_weight().to(x.dtype) + self.U(x))

    def fixed_point(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = x.new_zeros(x.size(0), self.W.size(0))
        with torch.no_grad():                                                    # iterate to h*
            for i in range(self.max_iter):
                h_new = self.step(h, x, edge_index)
                done = (h_new - h).norm() < self.tol
                h = h_new
                if done:
                    break
        self.num_iterations = i + 1
        return self.step(h, x, edge_index)                                       # one step with grad

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = self.fixed_point(x, edge_index)
        return self.head(h) if self.head is not None else h
