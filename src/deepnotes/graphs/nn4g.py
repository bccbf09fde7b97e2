"""NN4G (Neural Network for Graphs, Micheli 2009): layers that sum neighbours' states plus the input.

Syllabus: graphs.nn4g. Notes: 000 L4.47.

    h_v^0 = w_0 . x_v
    h_v^k = w^_k sum_{u in N(v)} h_u^{k-1} + w_k . x_v        (k >= 1)
    y     = sum_k theta_k . mean_v h_v^k                       (readout over every layer)

Each layer reads the neighbours' previous states and the node's own *input* x_v, never the
node's own previous state h_v^{k-1} (no recurrence through itself). The notes' example on the
5-node graph: h_3^1 = w^_1 (h_0^0 + h_2^0 + h_4^0) + w_1 . x_3. Here w^_k is a (hidden x hidden)
matrix and w_k a linear map of the input (scalars when hidden = 1, as in the notes).
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import syllabus
from .aggregate import scatter
from .data import check_edge_index

__all__ = ["NN4G"]


@syllabus("graphs.nn4g")
class NN4G(nn.Module):
    """``NN4G(in_channels, hidden, num_layers, out_channels)(x, edge_index) -> (graph output, states)``."""

    def __init__(self, in_channels: int, hidden: int, num_layers: int, out_channels: int = 1):
        super().__init__()
        self.input_maps = nn.ModuleList(nn.Linear(in_channels, hidden, bias=False)   # w_k
                                        for _ in range(num_layers + 1))
        self.neighbour_maps = nn.ModuleList(nn.Linear(hidden, hidden, bias=False)    # w^_k
                                            for _ in range(num_layers))
        self.readout = nn.ModuleList(nn.Linear(hidden, out_channels, bias=False)     # theta_k
                                     for _ in range(num_layers + 1))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        n = x.size(0)
        check_edge_index(edge_index, n)
        src, dst = edge_index
        h = self.input_maps[0](x)                                               # (N, H)  h^0
        states = [h]
        for k, nb in enumerate(self.neighbour_maps, start=1):
            h = nb(scatter(h[src], dst, n)) + self.input_maps[k](x)            # (N, H)  h^k
            states.append(h)
        y = sum(theta(s.mean(0)) for theta, s in zip(self.readout, states))    # (out,)
        return y, states
