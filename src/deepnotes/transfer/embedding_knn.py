"""Few-shot classification by k-nearest neighbours in an embedding space.

Syllabus: adaptation_ssl_meta.embedding_knn. Notes: 003 L13.14-L13.15.

Embed the support set and the queries with f; each query takes the majority label of its k
nearest support embeddings (Euclidean, or cosine distance 1 - cos). Ties in the vote go to the
smallest label; ties in distance to the earlier support item.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["knn_classify"]


@syllabus("adaptation_ssl_meta.embedding_knn")
def knn_classify(query: torch.Tensor, support: torch.Tensor, support_labels: torch.Tensor, k: int = 1,
                 metric: str = "euclidean") -> torch.Tensor:
    """Labels (Q,) for query embeddings (Q, D) from support embeddings (S, D)."""
    expect(metric in ("euclidean", "cosine"), "metric", "'euclidean' or 'cosine'", metric)
    expect(1 <= k <= len(support), "k", f"an int in [1, {len(support)}]", k)
    if metric == "cosine":
        d = 1 - F.normalize(query, dim=1) @ F.normalize(support, dim=1).T   # (Q, S)
    else:
        d = torch.cdist(query, support)                                     # (Q, S)
    idx = torch.sort(d, dim=1, stable=True).indices[:, :k]                  # (Q, k)
    votes = F.one_hot(support_labels[idx], int(support_labels.max()) + 1).sum(1)  # (Q, C)
    return votes.argmax(1)
