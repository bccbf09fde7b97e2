"""Principal component analysis: the top-k eigenvectors of the data covariance.

Syllabus: generative.pca. Notes: 001 S14.10-S14.17; 000 X.07.

    X_c = X - mean(X)                    centre, (N, D)
    C = X_c^T X_c / n                    covariance, (D, D)
    C w_i = lambda_i w_i                 eigenvectors sorted by decreasing lambda_i
    z = W_k^T (x - mean),  x^ = mean + W_k z

Computed from the SVD of X_c (X_c = U S V^T, lambda_i = s_i^2 / n), which is the same subspace.
Maximising the projected variance sum_{i<=k} lambda_i is the same as minimising the squared
reconstruction error, since total variance = retained variance + D * reconstruction MSE.
``explained_variance_`` uses the unbiased 1/(n-1) like scikit-learn; checked against
sklearn.decomposition.PCA (tests/generative/test_pca.py).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["PCA"]


@syllabus("generative.pca")
class PCA:
    """scikit-learn-like PCA on torch tensors: ``fit``, ``transform``, ``inverse_transform``."""

    def __init__(self, n_components: int):
        expect(isinstance(n_components, int) and n_components >= 1, "n_components", "a positive int",
               n_components)
        self.n_components = n_components

    def fit(self, x: torch.Tensor) -> "PCA":
        expect(x.dim() == 2, "x", "a 2-D tensor (N, D)", tuple(x.shape))
        n, d = x.shape
        expect(self.n_components <= min(n, d), "n_components", f"<= min(N, D) = {min(n, d)}",
               self.n_components)
        self.mean_ = x.mean(0)                                         # (D,)
        xc = x - self.mean_                                            # (N, D)
        _, s, vh = torch.linalg.svd(xc, full_matrices=False)           # s (r,), vh (r, D)
        k = self.n_components
        self.components_ = vh[:k]                                      # (k, D), rows = w_i
        self.explained_variance_ = s[:k] ** 2 / (n - 1)                # (k,)
        self.total_variance_ = (s ** 2).sum() / (n - 1)
        return self

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean_) @ self.components_.T                  # (N, k)

    def inverse_transform(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.components_ + self.mean_                       # (N, D)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.inverse_transform(self.transform(x))
