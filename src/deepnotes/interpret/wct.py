"""Whitening-colouring transform (Li et al. 2017, universal style transfer).

Syllabus: interpretability.wct_style_transfer. Notes: 001 S11.31.

For content features f_c and style features f_s, each (C, M) over positions:

    centre:   f_c <- f_c - mu_c,  f_s <- f_s - mu_s
    whiten:   f^_c = E_c D_c^-1/2 E_c^T f_c            (covariance f_c f_c^T / (M-1) = E_c D_c E_c^T)
    colour:   f_cs = E_s D_s^1/2 E_s^T f^_c + mu_s       (now with covariance and mean of f_s)
    blend:    alpha f_cs + (1 - alpha) f_c               (the decoder then maps features to an image)

``eps`` regularises small eigenvalues (added to D before the inverse square root).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["whiten_colour_transform"]


def _eig_power(cov: torch.Tensor, power: float, eps: float) -> torch.Tensor:
    d, E = torch.linalg.eigh(cov)
    return E @ torch.diag((d.clamp(min=0) + eps).pow(power)) @ E.t()


@syllabus("interpretability.wct_style_transfer")
def whiten_colour_transform(content: torch.Tensor, style: torch.Tensor, alpha: float = 1.0,
                            eps: float = 1e-5) -> torch.Tensor:
    """WCT of feature maps (C, H, W) (or (C, M)); returns features shaped like ``content``."""
    expect(content.size(0) == style.size(0), "style", f"{content.size(0)} channels", style.size(0))
    expect(0.0 <= alpha <= 1.0, "alpha", "a blend weight in [0, 1]", alpha)
    fc, fs = content.reshape(content.size(0), -1), style.reshape(style.size(0), -1)  # (C, Mc), (C, Ms)
    mu_c, mu_s = fc.mean(1, keepdim=True), fs.mean(1, keepdim=True)
    fc0, fs0 = fc - mu_c, fs - mu_s
    cov_c = fc0 @ fc0.t() / (fc0.size(1) - 1)                                   # (C, C)
    cov_s = fs0 @ fs0.t() / (fs0.size(1) - 1)
    white = _eig_power(cov_c, -0.5, eps) @ fc0                                  # identity covariance
    coloured = _eig_power(cov_s, 0.5, 0.0) @ white + mu_s                       # style covariance + mean
    return (alpha * coloured + (1 - alpha) * fc).reshape(content.shape)
