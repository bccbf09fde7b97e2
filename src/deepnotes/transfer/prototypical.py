"""Prototypical networks: classify by the nearest class mean in embedding space.

Syllabus: adaptation_ssl_meta.prototypical_networks. Notes: 003 L13.21.

    c_k = (1 / |S_k|) sum_{x_i in S_k} f(x_i)
    p(y = k | x) = softmax_k(-|f(x) - c_k|^2)

Expanding the square, -|f - c_k|^2 = 2 c_k.f - |c_k|^2 - |f|^2, and the last term is the same for
every k: the classifier is linear in f with w_k = 2 c_k, b_k = -|c_k|^2.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["class_prototypes", "prototype_logits", "PrototypicalNetwork"]


def class_prototypes(embeddings: torch.Tensor, labels: torch.Tensor, n_way: int) -> torch.Tensor:
    """(n_way, D) class means of support embeddings (S, D) with labels in 0..n_way-1."""
    expect(int(labels.min()) >= 0 and int(labels.max()) < n_way, "labels", f"ints in [0, {n_way})",
           labels.unique().tolist())
    counts = torch.bincount(labels, minlength=n_way)
    expect(bool((counts > 0).all()), "labels", "every class 0..n_way-1 present", counts.tolist())
    sums = torch.zeros(n_way, embeddings.shape[1], dtype=embeddings.dtype).index_add_(0, labels, embeddings)
    return sums / counts[:, None].to(embeddings.dtype)


def prototype_logits(query: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """-|f(x) - c_k|^2, (Q, n_way)."""
    return -(query[:, None, :] - prototypes[None]).pow(2).sum(-1)


@syllabus("adaptation_ssl_meta.prototypical_networks")
class PrototypicalNetwork(nn.Module):
    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, query: torch.Tensor, support: torch.Tensor, support_labels: torch.Tensor,
                n_way: int) -> torch.Tensor:
        """Logits (Q, n_way); softmax gives p(y = k | x)."""
        protos = class_prototypes(self.encoder(support), support_labels, n_way)   # (n_way, D)
        return prototype_logits(self.encoder(query), protos)
