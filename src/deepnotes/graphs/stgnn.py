"""Spatial-temporal GNN: graph convolution per time step, then a temporal convolution per node.

Syllabus: graphs.stgnn. Notes: 001 S19.11, S19.12.

    H_t = ReLU(GCNConv(X_t, A))                for each of the T input steps   (N, hidden)
    G   = ReLU(Conv1d_time(H_1..T))             kernel k over time, per node     (N, hidden, T-k+1)
    Y   = Linear(flatten G)                     each node's next ``horizon`` values (N, horizon)

A batch of B windows is folded into B*T disjoint copies of the graph, so one sparse GCNConv
call handles every (window, time step).
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus
from .data import check_edge_index
from .gcn import GCNConv

__all__ = ["STGNN"]


@syllabus("graphs.stgnn")
class STGNN(nn.Module):
    """``STGNN(in_channels, hidden, window, horizon)(x, edge_index)``: x (B, T, N, C) -> (B, N, horizon)."""

    def __init__(self, in_channels: int, hidden: int, window: int, horizon: int = 1, kernel_size: int = 3):
        super().__init__()
        expect(kernel_size <= window, "kernel_size", f"at most window={window}", kernel_size)
        self.window, self.in_channels = window, in_channels
        self.gconv = GCNConv(in_channels, hidden)
        self.tconv = nn.Conv1d(hidden, hidden, kernel_size)
        self.head = nn.Linear(hidden * (window - kernel_size + 1), horizon)
        self.skip = nn.Linear(in_channels, horizon)                              # last value passthrough

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        squeeze = x.dim() == 3
        if squeeze:
            x = x.unsqueeze(0)
        expect(x.dim() == 4 and x.size(1) == self.window and x.size(3) == self.in_channels, "x",
               f"shape (B, {self.window}, N, {self.in_channels})", tuple(x.shape))
        B, T, N, C = x.shape
        check_edge_index(edge_index, N)
        offsets = torch.arange(B * T, device=x.device).repeat_interleave(edge_index.size(1)) * N
        big = edge_index.repeat(1, B * T) + offsets                              # (2, B*T*E)
        h = torch.relu(self.gconv(x.reshape(B * T * N, C), big))                 # (B*T*N, H)
        h = h.view(B, T, N, -1).permute(0, 2, 3, 1).reshape(B * N, -1, T)        # (B*N, H, T)
        g = torch.relu(self.tconv(h))                                            # (B*N, H, T-k+1)
        y = self.head(g.flatten(1)).view(B, N, -1) + self.skip(x[:, -1])         # (B, N, horizon)
        return y.squeeze(0) if squeeze else y
