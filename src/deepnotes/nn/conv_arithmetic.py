"""Convolution arithmetic: output sizes, receptive fields and parameter counts.

Syllabus: cnn.conv_output_size, cnn.receptive_field. Notes: 000 L3.04, L3.06; 001 S9.29-S9.33,
S10.03-S10.06, S12.04-S12.09; 002 §5.1c.

Per spatial axis, with input size W, kernel K, stride S, padding P on EACH side, dilation D:

    conv / pooling:   out = floor((W + 2P - D(K-1) - 1) / S) + 1      (ceil instead of floor
                      under ceil_mode, dropping a last window that would start in the padding)
    transposed conv:  out = (W-1)S - 2P + D(K-1) + output_padding + 1
    'valid' is P = 0; 'same' (S = 1) pads D(K-1) in total.

001 S9.30 writes (W + P - K)/S + 1: that P is the TOTAL padding, not the per-side P above.

A stack of layers sees, from one output pixel, a receptive field found by walking backwards:
D_in = S (D_out - 1) + K_eff with K_eff = D(K-1) + 1, starting from D_out = 1; the compound
stride is the product of the strides. Two 3x3 stride-1 convs see 5x5, three see 7x7.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

from ..core import expect, syllabus

__all__ = ["conv_output_size", "pool_output_size", "conv_transpose_output_size", "same_padding",
           "receptive_field", "input_size_for_output", "conv_param_count"]


@syllabus("cnn.conv_output_size")
def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int | str = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Output length of a convolution or pooling along one axis (padding per side, or 'valid'/'same')."""
    expect(size >= 1, "size", "a positive int", size)
    expect(kernel_size >= 1, "kernel_size", "a positive int", kernel_size)
    expect(stride >= 1, "stride", "a positive int", stride)
    expect(dilation >= 1, "dilation", "a positive int", dilation)
    if padding == "same":
        expect(stride == 1, "padding", "'same' only with stride 1", (padding, stride))
        return size
    padding = 0 if padding == "valid" else padding
    expect(isinstance(padding, int) and padding >= 0, "padding", "a non-negative int, 'valid' or 'same'", padding)
    span = dilation * (kernel_size - 1) + 1
    expect(size + 2 * padding >= span, "kernel_size",
           f"a dilated kernel ({span}) no larger than the padded input ({size + 2 * padding})", kernel_size)
    num = size + 2 * padding - span
    if not ceil_mode:
        return num // stride + 1
    out = -(-num // stride) + 1
    if (out - 1) * stride >= size + padding:   # the last window may not start in the right padding
        out -= 1
    return out


def pool_output_size(size: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                     dilation: int = 1, ceil_mode: bool = False) -> int:
    """Pooling output length (stride defaults to the kernel size, as in torch)."""
    return conv_output_size(size, kernel_size, stride or kernel_size, padding, dilation, ceil_mode)


@syllabus("cnn.conv_output_size")
def conv_transpose_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Output length of a transposed convolution along one axis."""
    expect(size >= 1, "size", "a positive int", size)
    expect(output_padding < max(stride, dilation), "output_padding", "smaller than stride or dilation",
           output_padding)
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding that keeps the size at stride 1: D(K-1) in total."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


@syllabus("cnn.receptive_field")
def receptive_field(layers: Iterable[Sequence[int]]) -> tuple[int, int]:
    """(receptive field, compound stride) of a stack of (kernel, stride[, dilation]) layers, first layer first."""
    rf, jump = 1, 1
    for layer in layers:
        k, s, *rest = layer
        d = rest[0] if rest else 1
        expect(k >= 1 and s >= 1 and d >= 1, "layers", "(kernel>=1, stride>=1[, dilation>=1]) tuples", layer)
        rf += (d * (k - 1)) * jump
        jump *= s
    return rf, jump


@syllabus("cnn.receptive_field")
def input_size_for_output(layers: Iterable[Sequence[int]], out_size: int) -> int:
    """Walk backwards D_in = S (D_out - 1) + K_eff through the stack (no padding): the input window
    that produces ``out_size`` outputs."""
    d = out_size
    for layer in reversed(list(layers)):
        k, s, *rest = layer
        dil = rest[0] if rest else 1
        d = s * (d - 1) + dil * (k - 1) + 1
    return d


def conv_param_count(in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                     groups: int = 1, bias: bool = True) -> int:
    """Weights (+ biases) of a convolution: C_out * (C_in / groups) * prod(K) (+ C_out)."""
    expect(in_channels % groups == 0, "groups", f"a divisor of in_channels={in_channels}", groups)
    k = math.prod(kernel_size) if not isinstance(kernel_size, int) else kernel_size ** 2
    return out_channels * (in_channels // groups) * k + (out_channels if bias else 0)
