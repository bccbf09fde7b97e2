"""Natural-image priors for image reconstruction: total variation and the alpha-norm.

Syllabus: interpretability.natural_image_prior. Notes: 001 S11.14.

    TV_beta(x) = sum_{i,j} ( (x_{i,j+1} - x_{i,j})^2 + (x_{i+1,j} - x_{i,j})^2 )^(beta/2)
                 over pixels with both a right and a lower neighbour (Mahendran & Vedaldi)
    anisotropic (beta = 1 split per direction):  sum |x_{i,j+1} - x_{i,j}| + sum |x_{i+1,j} - x_{i,j}|
    alpha-norm:  ||x||_alpha^alpha = sum |x|^alpha

Summed over channels and over the batch. A constant image has TV 0; an n x n +-1 checkerboard
has anisotropic TV 2 * 2 n (n - 1) (n(n-1) horizontal and as many vertical jumps of size 2).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["total_variation", "alpha_norm"]


@syllabus("interpretability.natural_image_prior")
def total_variation(x: torch.Tensor, beta: float = 2.0, anisotropic: bool = False, eps: float = 0.0) -> torch.Tensor:
    """TV of images (..., H, W); ``eps`` inside the root keeps beta < 2 differentiable at 0."""
    expect(x.dim() >= 2, "x", "images of shape (..., H, W)", tuple(x.shape))
    dx = x[..., :, 1:] - x[..., :, :-1]                                         # (..., H, W-1)
    dy = x[..., 1:, :] - x[..., :-1, :]                                         # (..., H-1, W)
    if anisotropic:
        return dx.abs().sum() + dy.abs().sum()
    sq = dx[..., :-1, :] ** 2 + dy[..., :, :-1] ** 2                            # (..., H-1, W-1)
    return (sq + eps).pow(beta / 2).sum()


@syllabus("interpretability.natural_image_prior")
def alpha_norm(x: torch.Tensor, alpha: float = 6.0) -> torch.Tensor:
    """sum |x|^alpha (the alpha-th power of the alpha-norm)."""
    expect(alpha > 0, "alpha", "a positive exponent", alpha)
    return x.abs().pow(alpha).sum()
