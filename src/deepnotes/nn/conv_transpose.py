"""Transposed (fractionally strided) 2-D convolution: the adjoint of conv2d.

Syllabus: cnn.transposed_conv. Notes: 001 S10.07, S10.08; 002 §5.2q; 003 L0.07.

Each input pixel scatters a weighted copy of the kernel into the output, S pixels apart:

    y[b, o, S*i + D*u - P] += x[b, c, i] * W[c, o, u]      (summed over c in o's group, i, u)

so the output has (H-1)S - 2P + D(K-1) + output_padding + 1 pixels per axis. Where copies
overlap they are SUMMED (002 says they "can just be averaged": that is not the standard layer).
It is the transpose of the conv2d matrix, which is why the input-gradient of a conv is a
transposed conv of the output gradient (<conv(x), y> = <x, conv_T(y)>). The same result comes
from inserting S-1 zeros between input pixels, padding by D(K-1)-P and running a stride-1
convolution with the flipped kernel (:func:`conv_transpose2d_zero_insertion`).

Weight shape (C_in, C_out / groups, kH, kW) and argument names as torch.nn.ConvTranspose2d;
``fast=True`` calls F.conv_transpose2d.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .conv import _tuple, conv_nd

__all__ = ["conv_transpose2d", "conv_transpose2d_zero_insertion", "ConvTranspose2d"]


def _check(input: Tensor, weight: Tensor, groups: int) -> None:
    expect(input.dim() == 4, "input", "a 4-D tensor (B, C_in, H, W)", tuple(input.shape))
    expect(weight.dim() == 4, "weight", "a 4-D tensor (C_in, C_out/groups, kH, kW)", tuple(weight.shape))
    expect(groups >= 1 and weight.shape[0] % groups == 0, "groups",
           f"a divisor of the input channels {weight.shape[0]}", groups)
    expect(input.shape[1] == weight.shape[0], "input", f"{weight.shape[0]} channels", tuple(input.shape))


@syllabus("cnn.transposed_conv")
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution from the definition (scatter-add of kernel copies); F.conv_transpose2d's arguments."""
    _check(input, weight, groups)
    stride, padding = _tuple(stride, 2, "stride"), _tuple(padding, 2, "padding")
    output_padding, dilation = _tuple(output_padding, 2, "output_padding"), _tuple(dilation, 2, "dilation")
    for a in range(2):
        expect(output_padding[a] < max(stride[a], dilation[a]), "output_padding",
               "smaller than stride or dilation", output_padding)
    B, C, H, W = input.shape
    _, o_g, kh, kw = weight.shape
    G = groups
    full = [(n - 1) * s + d * (k - 1) + 1 + op
            for n, s, d, k, op in zip((H, W), stride, dilation, (kh, kw), output_padding)]
    out = [f - 2 * p for f, p in zip(full, padding)]
    expect(out[0] > 0 and out[1] > 0, "padding", f"small enough to leave a positive output size", padding)
    canvas = input.new_zeros(B, G, o_g, *full)                    # (B, G, O/G, Hfull, Wfull)
    xg = input.reshape(B, G, C // G, H, W)                        # (B, G, C/G, H, W)
    wg = weight.reshape(G, C // G, o_g, kh, kw)                   # (G, C/G, O/G, kh, kw)
    for u in range(kh):
        for v in range(kw):
            contrib = torch.einsum("gco,bgchw->bgohw", wg[..., u, v], xg)   # (B, G, O/G, H, W)
            rows = slice(dilation[0] * u, dilation[0] * u + stride[0] * (H - 1) + 1, stride[0])
            cols = slice(dilation[1] * v, dilation[1] * v + stride[1] * (W - 1) + 1, stride[1])
            canvas[..., rows, cols] += contrib                    # overlapping copies add up
    y = canvas[..., padding[0]:padding[0] + out[0], padding[1]:padding[1] + out[1]]
    y = y.reshape(B, G * o_g, *out)                               # (B, C_out, Hout, Wout)
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1)
    return y


@syllabus("cnn.transposed_conv")
def conv_transpose2d_zero_insertion(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                                    padding=0, output_padding=0, dilation=1) -> Tensor:
    """The textbook construction: insert S-1 zeros, pad D(K-1)-P, stride-1 conv with the flipped kernel."""
    _check(input, weight, 1)
    stride, padding = _tuple(stride, 2, "stride"), _tuple(padding, 2, "padding")
    output_padding, dilation = _tuple(output_padding, 2, "output_padding"), _tuple(dilation, 2, "dilation")
    B, C, H, W = input.shape
    kh, kw = weight.shape[-2:]
    up = input.new_zeros(B, C, (H - 1) * stride[0] + 1, (W - 1) * stride[1] + 1)
    up[..., ::stride[0], ::stride[1]] = input                     # (B, C, (H-1)S+1, (W-1)S+1)
    ph = dilation[0] * (kh - 1) - padding[0]
    pw = dilation[1] * (kw - 1) - padding[1]
    expect(ph >= 0 and pw >= 0, "padding", "at most dilation*(kernel_size-1) for this construction", padding)
    up = F.pad(up, (pw, pw + output_padding[1], ph, ph + output_padding[0]))
    flipped = weight.flip(-2, -1).transpose(0, 1)                 # (C_out, C_in, kh, kw)
    return conv_nd(up, flipped, bias, 1, 0, dilation, 1)


@syllabus("cnn.transposed_conv")
class ConvTranspose2d(nn.Module):
    """torch.nn.ConvTranspose2d's interface; ``fast=False`` runs the scatter-add definition."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None, fast: bool = True):
        super().__init__()
        expect(padding_mode == "zeros", "padding_mode", "'zeros' (as torch.nn.ConvTranspose2d)", padding_mode)
        expect(groups >= 1 and in_channels % groups == 0, "groups", f"a divisor of in_channels={in_channels}", groups)
        expect(out_channels % groups == 0, "groups", f"a divisor of out_channels={out_channels}", groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.stride, self.padding = _tuple(stride, 2, "stride"), _tuple(padding, 2, "padding")
        self.output_padding = _tuple(output_padding, 2, "output_padding")
        self.dilation, self.padding_mode, self.fast = _tuple(dilation, 2, "dilation"), padding_mode, fast
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels // groups, *self.kernel_size, **kw))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.weight[0, 0].numel()   # torch uses dim 1 as fan-in here
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        expect(input.dim() == 4, "input", "a 4-D tensor (B, C_in, H, W)", tuple(input.shape))
        fn = F.conv_transpose2d if self.fast else conv_transpose2d
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
