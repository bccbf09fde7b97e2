"""Count-based embeddings: PPMI weighting and a truncated SVD of the word-context matrix.

Syllabus: transformers_nlp.svd_embeddings. Notes: 003 L8.02-L8.03.

    PPMI(w, c) = max(0, log P(w, c) / (P(w) P(c)))
    M ~ U_k S_k V_k^T (the k largest singular values);  embeddings E = U_k S_k^(1/2)

||M - U_k S_k V_k^T||_F^2 equals the sum of the discarded squared singular values
(Eckart-Young).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["ppmi", "truncated_svd", "svd_embeddings"]


@syllabus("transformers_nlp.svd_embeddings")
def ppmi(counts: Tensor) -> Tensor:
    """Positive pointwise mutual information of a (W, C) count matrix."""
    total = counts.sum()
    pw = counts.sum(1, keepdim=True) / total
    pc = counts.sum(0, keepdim=True) / total
    with torch.no_grad():
        pmi = torch.log((counts / total) / (pw * pc))
    return torch.nan_to_num(pmi, nan=0.0, neginf=0.0, posinf=0.0).clamp_min(0)


@syllabus("transformers_nlp.svd_embeddings")
def truncated_svd(M: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """U_k (W, k), S_k (k,), V_k (C, k), largest singular values first."""
    expect(1 <= k <= min(M.shape), "k", f"an int in [1, {min(M.shape)}]", k)
    U, S, Vh = torch.linalg.svd(M, full_matrices=False)
    return U[:, :k], S[:k], Vh[:k].T


@syllabus("transformers_nlp.svd_embeddings")
def svd_embeddings(M: Tensor, k: int) -> Tensor:
    """E = U_k S_k^(1/2) (W, k)."""
    U, S, _ = truncated_svd(M, k)
    return U * S.sqrt()
