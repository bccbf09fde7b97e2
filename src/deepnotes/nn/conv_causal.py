"""Causal (dilated) 1-D convolution and the temporal convolutional network (TCN / WaveNet stack).

Syllabus: cnn.causal_dilated_conv. Notes: 001 S10.11, S10.12; 003 L12.18.

Pad D(K-1) zeros on the LEFT only, so output t sees x_{t - D(K-1)}, ..., x_t and nothing later:

    y_t = b + sum_{u=0}^{K-1} W[u] x_{t - D(K-1-u)}

Stacking L such layers with dilations 1, 2, 4, ..., 2^{L-1} gives a receptive field of
(K-1)(2^L - 1) + 1 with only L K weights per channel pair: K=2, L=10 sees 1024 steps.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .conv import Conv1d

__all__ = ["CausalConv1d", "TemporalConvNet", "tcn_receptive_field"]


@syllabus("cnn.causal_dilated_conv")
class CausalConv1d(Conv1d):
    """Conv1d that left-pads by dilation*(kernel_size-1): output length = input length, no future leak."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1,
                 bias: bool = True, **kw):
        expect("padding" not in kw and "stride" not in kw, "kw", "no padding/stride (causal conv sets them)", kw)
        super().__init__(in_channels, out_channels, kernel_size, 1, 0, dilation, bias=bias, **kw)
        self.left_pad = dilation * (kernel_size - 1)

    def forward(self, input: Tensor) -> Tensor:
        expect(input.dim() == 3, "input", "a 3-D tensor (B, C, T)", tuple(input.shape))
        return super().forward(F.pad(input, (self.left_pad, 0)))   # (B, C_out, T)


def tcn_receptive_field(kernel_size: int, num_layers: int) -> int:
    """(K-1)(2^L - 1) + 1 for dilations 1, 2, ..., 2^{L-1}."""
    return (kernel_size - 1) * (2 ** num_layers - 1) + 1


@syllabus("cnn.causal_dilated_conv")
class TemporalConvNet(nn.Module):
    """L causal convs with dilation 2^l, ReLU between them and a residual add when shapes match."""

    def __init__(self, in_channels: int, channels: int, num_layers: int, kernel_size: int = 2,
                 residual: bool = True):
        super().__init__()
        self.layers = nn.ModuleList(
            CausalConv1d(in_channels if l == 0 else channels, channels, kernel_size, dilation=2 ** l)
            for l in range(num_layers))
        self.residual = residual
        self.receptive_field = tcn_receptive_field(kernel_size, num_layers)

    def forward(self, x: Tensor) -> Tensor:
        for l, conv in enumerate(self.layers):                   # x: (B, C, T)
            h = conv(x)
            h = h if l == len(self.layers) - 1 else h.relu()
            x = x + h if self.residual and h.shape == x.shape else h
        return x
