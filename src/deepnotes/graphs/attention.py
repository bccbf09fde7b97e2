"""Self-attention restricted to graph neighbours (the graph-attention idea of 000 L4.25).

Syllabus: graphs.graph_attention. Notes: 000 L4.25.

    q_i = W_q x_i, k_j = W_k x_j, v_j = W_v x_j           (per head, head size d)
    alpha_ij = softmax_{j in N(i) + {i}} (q_i . k_j / sqrt(d))     only on edges (self loops added)
    x'_i = W_o concat_heads sum_j alpha_ij v_j

Scores are computed per edge (E, heads) and normalised with a scatter softmax, so weights on
non-edges are exactly zero and no dense N x N matrix is built. Identical to scaled dot-product
attention with the adjacency (plus I) as the boolean mask.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..core import expect, syllabus
from .aggregate import scatter, scatter_softmax
from .data import add_self_loops, check_edge_index

__all__ = ["GraphAttention"]


@syllabus("graphs.graph_attention")
class GraphAttention(nn.Module):
    """``GraphAttention(embed_dim, num_heads)(x, edge_index, return_attention=False)``."""

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, bias: bool = True):
        super().__init__()
        expect(out_channels % heads == 0, "out_channels", f"a multiple of heads={heads}", out_channels)
        self.heads, self.head_dim = heads, out_channels // heads
        self.q = nn.Linear(in_channels, out_channels, bias=bias)
        self.k = nn.Linear(in_channels, out_channels, bias=bias)
        self.v = nn.Linear(in_channels, out_channels, bias=bias)
        self.out = nn.Linear(out_channels, out_channels, bias=bias)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, return_attention: bool = False):
        n = x.size(0)
        check_edge_index(edge_index, n)
        ei = add_self_loops(edge_index, n)
        src, dst = ei                                                           # message j=src -> i=dst
        H, d = self.heads, self.head_dim
        q, k, v = (m(x).view(n, H, d) for m in (self.q, self.k, self.v))        # (N, H, d)
        score = (q[dst] * k[src]).sum(-1) / math.sqrt(d)                        # (E, H)
        alpha = scatter_softmax(score, dst, n)                                  # (E, H)
        out = scatter(alpha[..., None] * v[src], dst, n)                        # (N, H, d)
        out = self.out(out.reshape(n, H * d))                                   # (N, out)
        return (out, (ei, alpha)) if return_attention else out
