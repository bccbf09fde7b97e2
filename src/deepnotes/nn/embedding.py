"""Embedding lookup and one-hot (1-of-N) codes.

Syllabus: sequences.embedding_layer, sequences.one_hot_encoding.
Notes: 000 L2.56, L4.02, L4.26; 001 S18.18; 002 §6.7f; 003 L0.25, L8.01.

    one_hot(k) = e_k in {0, 1}^N        every two distinct codes: L2 distance sqrt(2), Hamming 2
    emb(k) = E[k] = one_hot(k)^T E      E in R^{N x d}; the gradient only touches the used rows

Same parameter (``weight``) and ``padding_idx`` behaviour as torch.nn.Embedding (the padding row
gets no gradient).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["one_hot_encode", "Embedding"]


@syllabus("sequences.one_hot_encoding")
def one_hot_encode(indices: Tensor, num_classes: int, dtype=torch.float32) -> Tensor:
    """(..., ) integer ids -> (..., num_classes) codes with a single 1 at each id."""
    expect(not indices.is_floating_point(), "indices", "an integer tensor", indices.dtype)
    expect(indices.numel() == 0 or (int(indices.min()) >= 0 and int(indices.max()) < num_classes), "indices",
           f"ids in [0, {num_classes})", (int(indices.min()), int(indices.max())) if indices.numel() else ())
    codes = torch.zeros(*indices.shape, num_classes, dtype=dtype, device=indices.device)
    return codes.scatter_(-1, indices.unsqueeze(-1), 1)


@syllabus("sequences.embedding_layer")
class Embedding(nn.Module):
    """Row lookup in a trainable table ``weight`` (num_embeddings, embedding_dim), N(0, 1) init."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.weight = nn.Parameter(torch.randn(num_embeddings, embedding_dim, device=device, dtype=dtype))
        if padding_idx is not None:
            with torch.no_grad():
                self.weight[padding_idx].zero_()

    def forward(self, input: Tensor) -> Tensor:
        expect(not input.is_floating_point(), "input", "integer token ids", input.dtype)
        if input.numel():
            lo, hi = int(input.min()), int(input.max())
            expect(lo >= 0 and hi < self.num_embeddings, "input",
                   f"ids in [0, {self.num_embeddings}) (out-of-vocabulary id)", (lo, hi))
        w = self.weight
        if self.padding_idx is not None:                            # no gradient into the pad row
            keep = torch.ones(self.num_embeddings, 1, dtype=w.dtype, device=w.device)
            keep[self.padding_idx] = 0
            w = w * keep + (w * (1 - keep)).detach()
        return w[input]                                             # (..., d)
