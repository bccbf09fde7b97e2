"""Convolution as a matrix: the unrolled (banded, doubly Toeplitz) operator of a 2-D convolution.

Syllabus: cnn.conv_as_matrix. Notes: 001 S10.01, S10.09.

A convolution is linear in its input, so for a fixed kernel there is a matrix C with
vec(y) = C vec(x). Row r of C (one output pixel (o, i, j)) holds the kernel weight
W[o, c, u, v] in column (c, S*i + u - P, S*j + v - P) and zeros elsewhere; taps that fall into the
padding are dropped. For a 4x4 input and a 3x3 kernel C is 4 x 16. The transposed convolution
is C^T: it maps a y-shaped tensor back to an x-shaped one, and since the gradient of
<g, C x> with respect to x is C^T g, back-propagating through a convolution IS a transposed
convolution of the output gradient.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .conv_arithmetic import conv_output_size

__all__ = ["conv2d_matrix"]


@syllabus("cnn.conv_as_matrix")
def conv2d_matrix(weight: Tensor, input_size: tuple[int, int], stride: int = 1, padding: int = 0,
                  dilation: int = 1) -> Tensor:
    """The (C_out*H_out*W_out, C_in*H*W) matrix of ``conv2d(., weight, stride, padding, dilation)``."""
    if weight.dim() == 2:
        weight = weight[None, None]                              # (1, 1, K, K)
    expect(weight.dim() == 4, "weight", "a (K, K) or (C_out, C_in, kH, kW) tensor", tuple(weight.shape))
    c_out, c_in, kh, kw = weight.shape
    H, W = input_size
    Ho = conv_output_size(H, kh, stride, padding, dilation)
    Wo = conv_output_size(W, kw, stride, padding, dilation)
    C = weight.new_zeros(c_out * Ho * Wo, c_in * H * W)
    for o in range(c_out):
        for i in range(Ho):
            for j in range(Wo):
                row = (o * Ho + i) * Wo + j
                for c in range(c_in):
                    for u in range(kh):
                        for v in range(kw):
                            r, s = stride * i + dilation * u - padding, stride * j + dilation * v - padding
                            if 0 <= r < H and 0 <= s < W:
                                C[row, (c * H + r) * W + s] = weight[o, c, u, v]
    return C
