"""Passive input-transformation defences: Gaussian blur, median filter, DCT quantisation.

Syllabus: robustness.input_transform_defense. Notes: 000 L10.18-L10.20.

The unchanged model classifies a filtered input: ``gaussian_blur`` (separable, zero-padded
convolution with a normalised Gaussian kernel), ``median_filter`` (k x k median, reflect-padded)
or ``dct_quantize`` (JPEG-like: orthonormal 2-D DCT per block, coefficients rounded to multiples
of ``step``, inverse DCT; for 8x8 digits one block is the whole image). ``InputTransformDefense``
wraps model + filter as one module; the blur is differentiable, so an adaptive attacker can go
through it (robustness.adaptive_attack).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["gaussian_blur", "median_filter", "dct_matrix", "dct_quantize", "InputTransformDefense"]


def gaussian_blur(x: torch.Tensor, sigma: float = 1.0, kernel_size: int = 3) -> torch.Tensor:
    """Blur images (B, C, H, W) with a normalised Gaussian kernel (replicate padding)."""
    expect(kernel_size % 2 == 1, "kernel_size", "an odd int", kernel_size)
    expect(sigma > 0, "sigma", "a positive float", sigma)
    r = kernel_size // 2
    t = torch.arange(-r, r + 1, dtype=x.dtype)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    C = x.shape[1]
    x = F.pad(x, (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C)           # rows
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)        # cols


def median_filter(x: torch.Tensor, kernel_size: int = 3) -> torch.Tensor:
    """k x k median of images (B, C, H, W) with reflect padding."""
    expect(kernel_size % 2 == 1, "kernel_size", "an odd int", kernel_size)
    r = kernel_size // 2
    B, C, H, W = x.shape
    patches = F.unfold(F.pad(x, (r, r, r, r), mode="reflect"), kernel_size)      # (B, C*k*k, H*W)
    return patches.view(B, C, kernel_size * kernel_size, H * W).median(2).values.view(B, C, H, W)


def dct_matrix(n: int, dtype=torch.float32) -> torch.Tensor:
    """Orthonormal DCT-II matrix (n, n): row k = a_k cos(pi (2i+1) k / 2n)."""
    i = torch.arange(n, dtype=dtype)
    m = torch.cos(math.pi * (2 * i[None] + 1) * i[:, None] / (2 * n)) * math.sqrt(2 / n)
    m[0] /= math.sqrt(2)
    return m


def dct_quantize(x: torch.Tensor, step: float = 0.5, block: int = 8) -> torch.Tensor:
    """JPEG-style compression of images (B, C, H, W): blockwise DCT, round to ``step``, inverse."""
    B, C, H, W = x.shape
    expect(H % block == 0 and W % block == 0, "x", f"H, W divisible by block={block}", (H, W))
    D = dct_matrix(block, x.dtype)
    blocks = x.view(B, C, H // block, block, W // block, block).transpose(3, 4)  # (B, C, h, w, b, b)
    coef = D @ blocks @ D.T
    coef = torch.round(coef / step) * step
    out = (D.T @ coef @ D).transpose(3, 4).reshape(B, C, H, W)
    return out.clamp(0, 1)


@syllabus("robustness.input_transform_defense")
class InputTransformDefense(nn.Module):
    """model(filter(x)): filter is 'blur', 'median' or 'dct' with its keyword arguments."""

    _FILTERS = {"blur": gaussian_blur, "median": median_filter, "dct": dct_quantize}

    def __init__(self, model: nn.Module, kind: str = "blur", **kwargs):
        super().__init__()
        expect(kind in self._FILTERS, "kind", f"one of {list(self._FILTERS)}", kind)
        self.model, self.kind, self.kwargs = model, kind, kwargs

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        return self._FILTERS[self.kind](x, **self.kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(self.preprocess(x))
