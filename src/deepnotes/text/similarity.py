"""Cosine similarity between embedding vectors and nearest-neighbour lookup.

Syllabus: transformers_nlp.cosine_similarity. Notes: 000 L7.14; 003 L0.27.

    sim(a, b) = a . b / max(||a|| ||b||, eps)       in [-1, 1], scale invariant, sim(a, a) = 1
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import syllabus

__all__ = ["cosine_similarity", "nearest_neighbours"]


@syllabus("transformers_nlp.cosine_similarity")
def cosine_similarity(a: Tensor, b: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between a and b along ``dim`` (broadcasting like torch)."""
    a, b = torch.broadcast_tensors(a, b)
    na = a.norm(dim=dim).clamp_min(eps)
    nb = b.norm(dim=dim).clamp_min(eps)
    return (a * b).sum(dim) / torch.maximum(na * nb, torch.tensor(eps, dtype=a.dtype, device=a.device))


@syllabus("transformers_nlp.cosine_similarity")
def nearest_neighbours(embeddings: Tensor, index: int, k: int = 5) -> list[int]:
    """The k rows most cosine-similar to row ``index`` (excluding itself)."""
    e = embeddings / embeddings.norm(dim=1, keepdim=True).clamp_min(1e-8)
    sims = e @ e[index]
    sims[index] = -float("inf")
    return sims.topk(k).indices.tolist()
