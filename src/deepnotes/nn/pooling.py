"""Max, average and global average pooling, written from the definition with a fast path.

Syllabus: cnn.max_pool, cnn.avg_pool, cnn.global_avg_pool. Notes: 000 L3.07, L3.08;
001 S9.10-S9.12, S19.22; 002 §5.1e, §5.1p, P7; 003 L0.10.

Over each k x k window (stride s, default s = k; padding p on each side):

    max pool:  y[b, c, i, j] = max_{u,v} x_pad[b, c, s*i + d*u, s*j + d*v]   (padding = -inf)
               the gradient flows only to the argmax ("switch"), whose flat index into the
               H x W input can be returned for max-unpooling
    avg pool:  y[b, c, i, j] = mean_{u,v} x_pad[...]          (padding counts as 0 by default)
               the gradient is spread uniformly, 1/k^2 to every pixel of the window
    global average pool:  y[b, c] = mean_{i,j} x[b, c, i, j]  (any H x W; 64x64x512 -> 512)

A 2x2 max pool maps 10x10x3 to 5x5x3. ``fast=True`` calls F.max_pool2d / F.avg_pool2d.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .conv import _tuple
from .conv_arithmetic import conv_output_size

__all__ = ["max_pool2d", "avg_pool2d", "global_avg_pool2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d"]


def _windows(x: Tensor, kernel, stride, padding, dilation, ceil_mode: bool, fill: float):
    """Stack every window's taps on a last axis: (B, C, Ho, Wo, kh*kw), plus the taps' flat input index."""
    expect(x.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
    B, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    (ph, pw), (dh, dw) = padding, dilation
    expect(ph <= kh // 2 and pw <= kw // 2, "padding", f"at most half the kernel size {kernel}", padding)
    Ho = conv_output_size(H, kh, sh, ph, dh, ceil_mode)
    Wo = conv_output_size(W, kw, sw, pw, dw, ceil_mode)
    # enough right/bottom padding for ceil_mode windows that run past the padded input
    extra_h = max(0, (Ho - 1) * sh + dh * (kh - 1) + 1 - (H + 2 * ph))
    extra_w = max(0, (Wo - 1) * sw + dw * (kw - 1) + 1 - (W + 2 * pw))
    xp = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=fill)       # (B, C, H', W')
    index = torch.arange(H * W, device=x.device).view(1, 1, H, W)
    ip = F.pad(index, (pw, pw + extra_w, ph, ph + extra_h), value=-1)     # -1 marks padding
    taps, idx = [], []
    for u in range(kh):
        for v in range(kw):
            rows = slice(dh * u, dh * u + sh * (Ho - 1) + 1, sh)
            cols = slice(dw * v, dw * v + sw * (Wo - 1) + 1, sw)
            taps.append(xp[..., rows, cols])                      # (B, C, Ho, Wo)
            idx.append(ip[..., rows, cols])                       # (1, 1, Ho, Wo)
    return torch.stack(taps, -1), torch.stack(idx, -1)


@syllabus("cnn.max_pool")
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max pooling from the definition; F.max_pool2d's arguments (indices index the flat H*W input)."""
    k = _tuple(kernel_size, 2, "kernel_size")
    s = _tuple(stride if stride is not None else kernel_size, 2, "stride")
    taps, idx = _windows(input, k, s, _tuple(padding, 2, "padding"), _tuple(dilation, 2, "dilation"),
                         ceil_mode, float("-inf"))
    values, arg = taps.max(dim=-1)                               # (B, C, Ho, Wo)
    if not return_indices:
        return values
    indices = idx.expand(*taps.shape[:2], *idx.shape[2:]).gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    return values, indices


@syllabus("cnn.avg_pool")
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Average pooling from the definition; F.avg_pool2d's arguments (ceil_mode not supported)."""
    expect(not ceil_mode, "ceil_mode", "False (use fast=True for ceil_mode)", ceil_mode)
    k = _tuple(kernel_size, 2, "kernel_size")
    s = _tuple(stride if stride is not None else kernel_size, 2, "stride")
    taps, idx = _windows(input, k, s, _tuple(padding, 2, "padding"), (1, 1), False, 0.0)
    if count_include_pad:
        return taps.mean(dim=-1)                                 # (B, C, Ho, Wo)
    count = (idx >= 0).sum(-1).to(taps.dtype)                    # (1, 1, Ho, Wo) real pixels per window
    return taps.sum(dim=-1) / count


@syllabus("cnn.global_avg_pool")
def global_avg_pool2d(input: Tensor) -> Tensor:
    """(B, C, H, W) -> (B, C): the mean of each channel over all positions."""
    expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
    return input.mean(dim=(-2, -1))


@syllabus("cnn.max_pool")
class MaxPool2d(nn.Module):
    """torch.nn.MaxPool2d's interface; ``fast=False`` runs the window-max definition."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False, fast: bool = True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation, self.return_indices = padding, dilation, return_indices
        self.ceil_mode, self.fast = ceil_mode, fast

    def forward(self, input: Tensor):
        expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
        fn = F.max_pool2d if self.fast else max_pool2d
        return fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                  ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@syllabus("cnn.avg_pool")
class AvgPool2d(nn.Module):
    """torch.nn.AvgPool2d's interface; ``fast=False`` runs the window-mean definition."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, fast: bool = True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad, self.fast = padding, ceil_mode, count_include_pad, fast

    def forward(self, input: Tensor) -> Tensor:
        expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
        fn = F.avg_pool2d if self.fast else avg_pool2d
        return fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@syllabus("cnn.global_avg_pool")
class GlobalAvgPool2d(nn.Module):
    """(B, C, H, W) -> (B, C) (``keepdim=True`` keeps (B, C, 1, 1))."""

    def __init__(self, keepdim: bool = False):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, input: Tensor) -> Tensor:
        y = global_avg_pool2d(input)                             # (B, C)
        return y[..., None, None] if self.keepdim else y
