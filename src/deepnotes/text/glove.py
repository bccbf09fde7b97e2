"""GloVe: weighted least squares on log co-occurrence counts.

Syllabus: transformers_nlp.glove. Notes: 003 L8.14.

    L = sum_{i,j : X_ij > 0} f(X_ij) (u_i . v_j + b_i + c_j - log X_ij)^2
    f(x) = (x / x_max)^0.75 if x < x_max else 1,   x_max = 100,   f(0) = 0

Zero entries are skipped (log 0 is undefined and f(0) = 0 anyway). The word vectors are
u + v after training.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["cooccurrence_matrix", "glove_weight", "glove_loss", "GloVe"]


def cooccurrence_matrix(ids: Tensor, vocab_size: int, window: int = 5, distance_weighting: bool = True) -> Tensor:
    """Symmetric (V, V) co-occurrence counts within ``window`` (weighted 1/offset if asked)."""
    X = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
    for off in range(1, window + 1):
        a, b = ids[:-off], ids[off:]
        w = 1.0 / off if distance_weighting else 1.0
        X.index_put_((a, b), torch.full(a.shape, w, dtype=torch.float64), accumulate=True)
        X.index_put_((b, a), torch.full(a.shape, w, dtype=torch.float64), accumulate=True)
    return X


@syllabus("transformers_nlp.glove")
def glove_weight(x: Tensor, x_max: float = 100.0, alpha: float = 0.75) -> Tensor:
    """f(x) = min(1, (x / x_max)^alpha)."""
    return torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x))


@syllabus("transformers_nlp.glove")
def glove_loss(u: Tensor, v: Tensor, b: Tensor, c: Tensor, X: Tensor, x_max: float = 100.0,
               alpha: float = 0.75) -> Tensor:
    """sum over non-zero X_ij of f(X_ij) (u_i . v_j + b_i + c_j - log X_ij)^2."""
    expect(X.shape == (u.shape[0], v.shape[0]), "X", f"a ({u.shape[0]}, {v.shape[0]}) matrix", tuple(X.shape))
    # dense form (one (V, V) matmul instead of gathering the non-zero pairs: ~3x faster on CPU);
    # the mask makes it the same sum over X_ij > 0
    x = X.to(u.dtype)
    seen = x > 0                                                             # (V, V)
    pred = u @ v.T + b[:, None] + c[None, :]                                 # (V, V)
    log_x = torch.log(torch.where(seen, x, torch.ones_like(x)))
    weight = torch.where(seen, glove_weight(x, x_max, alpha), torch.zeros_like(x))
    return (weight * (pred - log_x) ** 2).sum()


@syllabus("transformers_nlp.glove")
class GloVe(nn.Module):
    """u, v (V, d) and biases b, c (V,); ``loss(X)`` sums over the non-zero entries of X."""

    def __init__(self, vocab_size: int, dim: int, x_max: float = 100.0, alpha: float = 0.75, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.u = nn.Parameter((torch.rand(vocab_size, dim, generator=g) - 0.5) / dim)
        self.v = nn.Parameter((torch.rand(vocab_size, dim, generator=g) - 0.5) / dim)
        self.b = nn.Parameter(torch.zeros(vocab_size))
        self.c = nn.Parameter(torch.zeros(vocab_size))
        self.x_max, self.alpha = x_max, alpha

    def loss(self, X: Tensor) -> Tensor:
        return glove_loss(self.u, self.v, self.b, self.c, X, self.x_max, self.alpha)

    def embeddings(self) -> Tensor:
        return (self.u + self.v).detach()
