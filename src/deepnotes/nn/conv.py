"""Convolution layers (1-D, 2-D, 3-D) written from the definition, with a fast path on F.convNd.

Syllabus: cnn.conv2d, cnn.conv1d, cnn.conv3d, cnn.dilated_conv. Notes: 000 L3.01-L3.05;
001 S9.01-S9.07, S9.32, S10.06, S10.10, S19.14; 002 §5.1b, §5.1g; 003 L0.06, L0.08, L12.18.

A deep-learning "convolution" is a cross-correlation (the kernel is not flipped). For an output
channel o, output position i (one index per spatial axis), stride S, padding P, dilation D:

    y[b, o, i] = bias[o] + sum_{c in group(o)} sum_{u} W[o, c, u] * x_pad[b, c, S*i + D*u]

where x_pad is x zero-padded by P on each side and u runs over the kernel taps. With groups G the
C_in input channels and C_out output channels split into G blocks and block g of the output sees
only block g of the input, so W has shape (C_out, C_in / G, *K). A dilated (atrous) kernel spaces
its taps D apart: it sees D(K-1)+1 pixels with K weights; a 3x3 kernel with D=2 and P=2 keeps HxW.

The definition path below loops over the K1*K2*... kernel taps: each tap is one strided slice of
the padded input multiplied by a (C_out/G, C_in/G) matrix, and the taps are summed. Autograd gives
the backward pass. ``fast=True`` (the default) calls F.conv1d/2d/3d instead; the tests check both
paths against torch forward and backward over randomized configurations.

Constructor arguments, parameter names, shapes and initialisation follow torch.nn.ConvNd, so
``ours.load_state_dict(torch_conv.state_dict())`` works.
"""
from __future__ import annotations

import itertools
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["conv_nd", "conv1d", "conv2d", "conv3d", "Conv1d", "Conv2d", "Conv3d"]


def _tuple(value: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    expect(len(value) == n, name, f"an int or a sequence of {n} ints", value)
    return value


def _same_padding(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> list[tuple[int, int]]:
    """Per-axis (left, right) padding so a stride-1 conv keeps the size: total D(K-1)."""
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return out


@syllabus("cnn.conv1d", "cnn.conv2d", "cnn.conv3d", "cnn.dilated_conv")
def conv_nd(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
            dilation=1, groups: int = 1) -> Tensor:
    """N-d cross-correlation from the definition (N = weight.dim() - 2): a sum over kernel taps."""
    n = weight.dim() - 2
    expect(n in (1, 2, 3), "weight", "a (C_out, C_in/groups, *kernel) tensor with 1-3 spatial dims",
           tuple(weight.shape))
    expect(input.dim() == n + 2, "input", f"a {n + 2}-D tensor (B, C, *spatial) for a {n}-D kernel",
           tuple(input.shape))
    c_out, c_in_g, *kernel = weight.shape
    B, C = input.shape[:2]
    expect(groups >= 1 and C % groups == 0, "groups", f"a divisor of the input channels {C}", groups)
    expect(c_out % groups == 0, "groups", f"a divisor of the output channels {c_out}", groups)
    expect(C // groups == c_in_g, "input",
           f"{c_in_g * groups} channels (weight has {c_in_g} per group x {groups} groups)", C)
    stride, dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
    if isinstance(padding, str):
        expect(padding in ("valid", "same"), "padding", "'valid', 'same', an int or a tuple", padding)
        if padding == "same":
            expect(all(s == 1 for s in stride), "padding", "'same' only with stride 1", stride)
        pads = [(0, 0)] * n if padding == "valid" else _same_padding(tuple(kernel), dilation)
    else:
        pads = [(p, p) for p in _tuple(padding, n, "padding")]
    flat = [p for pair in reversed(pads) for p in pair]          # F.pad wants last axis first
    x = F.pad(input, flat) if any(flat) else input               # (B, C, *padded)
    out_size = []
    for axis, (k, s, d) in enumerate(zip(kernel, stride, dilation)):
        span = d * (k - 1) + 1
        size = x.shape[2 + axis]
        expect(size >= span, "input",
               f"padded spatial size >= dilated kernel size {span} along spatial axis {axis}",
               tuple(input.shape))
        out_size.append((size - span) // s + 1)
    G = groups
    xg = x.reshape(B, G, C // G, *x.shape[2:])                   # (B, G, C/G, *padded)
    wg = weight.reshape(G, c_out // G, c_in_g, *kernel)          # (G, O/G, C/G, *K)
    y = input.new_zeros(B, G, c_out // G, *out_size)             # (B, G, O/G, *out)
    for tap in itertools.product(*(range(k) for k in kernel)):
        window = tuple(slice(d * u, d * u + s * (o - 1) + 1, s)
                       for u, s, d, o in zip(tap, stride, dilation, out_size))
        patch = xg[(slice(None),) * 3 + window]                  # (B, G, C/G, *out)
        w = wg[(slice(None),) * 3 + tap]                         # (G, O/G, C/G)
        y = y + torch.einsum("goc,bgc...->bgo...", w, patch)
    y = y.reshape(B, c_out, *out_size)                           # (B, O, *out)
    if bias is not None:
        y = y + bias.reshape(1, c_out, *([1] * n))
    return y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation from the definition; same arguments as F.conv1d."""
    return conv_nd(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation from the definition; same arguments as F.conv2d."""
    return conv_nd(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D cross-correlation from the definition; same arguments as F.conv3d."""
    return conv_nd(input, weight, bias, stride, padding, dilation, groups)


_TORCH_FN = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvNd(nn.Module):
    n: int = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, fast: bool = True):
        super().__init__()
        n = self.n
        expect(in_channels > 0, "in_channels", "a positive int", in_channels)
        expect(out_channels > 0, "out_channels", "a positive int", out_channels)
        expect(groups >= 1 and in_channels % groups == 0, "groups",
               f"a divisor of in_channels={in_channels}", groups)
        expect(out_channels % groups == 0, "groups", f"a divisor of out_channels={out_channels}", groups)
        expect(padding_mode in _PAD_MODES, "padding_mode", f"one of {list(_PAD_MODES)}", padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride")
        self.dilation = _tuple(dilation, n, "dilation")
        if isinstance(padding, str):
            expect(padding in ("valid", "same"), "padding", "'valid', 'same', an int or a tuple", padding)
            expect(padding != "same" or all(s == 1 for s in self.stride), "padding",
                   "'same' only with stride 1", (padding, self.stride))
            self.padding = padding
        else:
            self.padding = _tuple(padding, n, "padding")
        self.padding_mode, self.fast = padding_mode, fast
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size, **kw))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # torch's default: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def _explicit_padding(self, x: Tensor) -> tuple[Tensor, object]:
        """Non-zero padding modes pad first (as torch does); returns (input, remaining padding)."""
        if self.padding_mode == "zeros":
            return x, self.padding
        pads = (_same_padding(self.kernel_size, self.dilation) if self.padding == "same"
                else [(0, 0)] * self.n if self.padding == "valid" else [(p, p) for p in self.padding])
        flat = [p for pair in reversed(pads) for p in pair]
        return F.pad(x, flat, mode=_PAD_MODES[self.padding_mode]), 0

    def forward(self, input: Tensor) -> Tensor:
        expect(input.dim() in (self.n + 1, self.n + 2), "input",
               f"a {self.n + 2}-D (B, C, *spatial) or {self.n + 1}-D unbatched tensor", tuple(input.shape))
        unbatched = input.dim() == self.n + 1
        x = input.unsqueeze(0) if unbatched else input
        expect(x.shape[1] == self.in_channels, "input", f"{self.in_channels} channels in dim 1",
               tuple(input.shape))
        x, padding = self._explicit_padding(x)
        fn = _TORCH_FN[self.n] if self.fast else conv_nd
        if self.fast:
            # F.convNd reports bad sizes with an opaque message; check here with the argument's name.
            for axis, (k, d) in enumerate(zip(self.kernel_size, self.dilation)):
                pad = 0 if isinstance(padding, str) else 2 * (padding if isinstance(padding, int) else padding[axis])
                if padding != "same":
                    expect(x.shape[2 + axis] + pad >= d * (k - 1) + 1, "input",
                           f"padded size >= dilated kernel size {d * (k - 1) + 1} on spatial axis {axis}",
                           tuple(input.shape))
        y = fn(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}, padding={self.padding}")
        if any(d != 1 for d in self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if not self.fast:
            s += ", fast=False"
        return s


@syllabus("cnn.conv1d")
class Conv1d(_ConvNd):
    """torch.nn.Conv1d's interface; ``fast=False`` runs the tap-sum definition."""
    n = 1


@syllabus("cnn.conv2d", "cnn.dilated_conv")
class Conv2d(_ConvNd):
    """torch.nn.Conv2d's interface; ``fast=False`` runs the tap-sum definition."""
    n = 2


@syllabus("cnn.conv3d")
class Conv3d(_ConvNd):
    """torch.nn.Conv3d's interface; ``fast=False`` runs the tap-sum definition."""
    n = 3
