"""Graph autoencoder (Kipf & Welling 2016) for link prediction.

Syllabus: graphs.graph_autoencoder. Notes: 001 S19.08, S19.10.

    Z = GCN(X, A)                           encoder (two GCNConv layers by default)
    A^_ij = sigmoid(z_i . z_j)              inner-product decoder (symmetric by construction)
    loss = - mean log A^(pos) - mean log(1 - A^(neg))     BCE on observed edges and sampled non-edges
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import syllabus
from .gcn import GCN
from .link_prediction import negative_sampling

__all__ = ["InnerProductDecoder", "GAE"]


class InnerProductDecoder(nn.Module):
    def forward(self, z: torch.Tensor, edge_index: torch.Tensor, sigmoid: bool = True) -> torch.Tensor:
        logits = (z[edge_index[0]] * z[edge_index[1]]).sum(-1)                   # (E,)
        return torch.sigmoid(logits) if sigmoid else logits

    def forward_all(self, z: torch.Tensor, sigmoid: bool = True) -> torch.Tensor:
        logits = z @ z.t()                                                       # (N, N)
        return torch.sigmoid(logits) if sigmoid else logits


@syllabus("graphs.graph_autoencoder")
class GAE(nn.Module):
    """``GAE(encoder)``: ``encode(x, edge_index)``, ``decode(z, pairs)``, ``recon_loss(z, pos)``."""

    def __init__(self, encoder: nn.Module | None = None, in_channels: int = 0, hidden: int = 32,
                 out_channels: int = 16):
        super().__init__()
        self.encoder = encoder if encoder is not None else GCN([in_channels, hidden, out_channels])
        self.decoder = InnerProductDecoder()

    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.encoder(x, edge_index)

    def decode(self, z: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        return self.decoder(z, pairs)

    def recon_loss(self, z: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
        if neg is None:
            neg = negative_sampling(pos, z.size(0), pos.size(1), generator)
        bce = nn.functional.binary_cross_entropy_with_logits
        lp, ln = self.decoder(z, pos, sigmoid=False), self.decoder(z, neg, sigmoid=False)
        return bce(lp, torch.ones_like(lp)) + bce(ln, torch.zeros_like(ln))
