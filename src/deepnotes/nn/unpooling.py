"""Unpooling / upsampling layers: max-unpooling with switches, nearest-neighbour, bed of nails.

Syllabus: cnn.max_unpool, cnn.upsample_nearest, cnn.bed_of_nails_unpool.
Notes: 001 S11.08-S11.11; 002 §5.2r; 003 L0.09.

    max unpooling:   y.flat[b, c, idx[b, c, i, j]] = x[b, c, i, j], zeros elsewhere, where idx are
                     the argmax "switches" recorded by the matching max pool
    nearest:         y[b, c, i, j] = x[b, c, i // s, j // s]   (each value fills an s x s block)
    bed of nails:    y[b, c, s*i, s*j] = x[b, c, i, j], zeros elsewhere (top-left of each block);
                     it is the adjoint of keeping every s-th pixel (strided subsampling)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .conv import _tuple

__all__ = ["max_unpool2d", "upsample_nearest2d", "bed_of_nails_unpool2d",
           "MaxUnpool2d", "UpsampleNearest2d", "BedOfNailsUnpool2d"]


@syllabus("cnn.max_unpool")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Scatter each value to its recorded argmax position; F.max_unpool2d's arguments."""
    expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
    expect(indices.shape == input.shape, "indices", f"the input's shape {tuple(input.shape)}", tuple(indices.shape))
    k = _tuple(kernel_size, 2, "kernel_size")
    s = _tuple(stride if stride is not None else kernel_size, 2, "stride")
    p = _tuple(padding, 2, "padding")
    B, C, H, W = input.shape
    if output_size is None:
        Ho, Wo = (H - 1) * s[0] - 2 * p[0] + k[0], (W - 1) * s[1] - 2 * p[1] + k[1]
    else:
        Ho, Wo = tuple(output_size)[-2:]
    expect(int(indices.max()) < Ho * Wo if indices.numel() else True, "indices",
           f"values below the output size {Ho}x{Wo}", int(indices.max()))
    out = input.new_zeros(B, C, Ho * Wo)                                 # (B, C, Ho*Wo)
    out = out.scatter(-1, indices.reshape(B, C, -1), input.reshape(B, C, -1))
    return out.view(B, C, Ho, Wo)


@syllabus("cnn.upsample_nearest")
def upsample_nearest2d(input: Tensor, scale_factor: int) -> Tensor:
    """Repeat every pixel over a scale_factor x scale_factor block."""
    expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
    expect(isinstance(scale_factor, int) and scale_factor >= 1, "scale_factor", "a positive int", scale_factor)
    return input.repeat_interleave(scale_factor, dim=-2).repeat_interleave(scale_factor, dim=-1)


@syllabus("cnn.bed_of_nails_unpool")
def bed_of_nails_unpool2d(input: Tensor, scale_factor: int) -> Tensor:
    """Each value at the top-left of its s x s block, zeros elsewhere."""
    expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
    expect(isinstance(scale_factor, int) and scale_factor >= 1, "scale_factor", "a positive int", scale_factor)
    B, C, H, W = input.shape
    s = scale_factor
    out = input.new_zeros(B, C, H * s, W * s)                            # (B, C, sH, sW)
    out[..., ::s, ::s] = input
    return out


@syllabus("cnn.max_unpool")
class MaxUnpool2d(nn.Module):
    """torch.nn.MaxUnpool2d's interface; ``fast=True`` calls F.max_unpool2d."""

    def __init__(self, kernel_size, stride=None, padding=0, fast: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.fast = kernel_size, stride, padding, fast

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        fn = F.max_unpool2d if self.fast else max_unpool2d
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)


@syllabus("cnn.upsample_nearest")
class UpsampleNearest2d(nn.Module):
    """Nearest-neighbour upsampling by an integer factor (``mode='bilinear'`` uses F.interpolate)."""

    def __init__(self, scale_factor: int = 2, mode: str = "nearest"):
        super().__init__()
        expect(mode in ("nearest", "bilinear"), "mode", "'nearest' or 'bilinear'", mode)
        self.scale_factor, self.mode = scale_factor, mode

    def forward(self, input: Tensor) -> Tensor:
        if self.mode == "bilinear":
            return F.interpolate(input, scale_factor=self.scale_factor, mode="bilinear", align_corners=False)
        return upsample_nearest2d(input, self.scale_factor)


@syllabus("cnn.bed_of_nails_unpool")
class BedOfNailsUnpool2d(nn.Module):
    """Bed-of-nails unpooling by an integer factor."""

    def __init__(self, scale_factor: int = 2):
        super().__init__()
        self.scale_factor = scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return bed_of_nails_unpool2d(input, self.scale_factor)
