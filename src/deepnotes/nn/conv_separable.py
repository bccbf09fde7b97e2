"""Depthwise, pointwise (1x1) and depthwise-separable convolutions.

Syllabus: cnn.depthwise_conv, cnn.pointwise_conv, cnn.depthwise_separable_conv.
Notes: 001 S9.37, S9.38, S9.45, S9.46.

    depthwise:  y[c] = W_c * x[c]                one KxK filter per channel (groups = C_in),
                                                 C_in K^2 weights, no mixing across channels
    pointwise:  y[:, i, j] = W x[:, i, j] + b    a 1x1 conv: the same C_out x C_in matrix at
                                                 every pixel, C_in C_out weights
    separable:  pointwise(depthwise(x))          C_in K^2 + C_in C_out weights instead of
                                                 C_out C_in K^2 (3x3, 16 -> 32: 144 + 512 = 656
                                                 vs 4608), a fraction 1/C_out + 1/K^2

001's "32 kernels 1x1x16" describes only the pointwise half of the separable block.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..core import expect, syllabus
from .conv import Conv2d

__all__ = ["DepthwiseConv2d", "PointwiseConv2d", "DepthwiseSeparableConv2d"]


@syllabus("cnn.depthwise_conv")
class DepthwiseConv2d(Conv2d):
    """A Conv2d with groups = in_channels (``depth_multiplier`` filters per channel)."""

    def __init__(self, in_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, depth_multiplier: int = 1, **kw):
        expect(depth_multiplier >= 1, "depth_multiplier", "a positive int", depth_multiplier)
        super().__init__(in_channels, in_channels * depth_multiplier, kernel_size, stride, padding,
                         dilation, groups=in_channels, bias=bias, **kw)


@syllabus("cnn.pointwise_conv")
class PointwiseConv2d(Conv2d):
    """A 1x1 Conv2d: a per-pixel linear map across channels."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True, **kw):
        super().__init__(in_channels, out_channels, 1, bias=bias, **kw)


@syllabus("cnn.depthwise_separable_conv")
class DepthwiseSeparableConv2d(nn.Module):
    """depthwise KxK then pointwise 1x1 (optionally with BN + ReLU after each, as in MobileNet)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1, padding=0,
                 dilation=1, bias: bool = True, norm_act: bool = False, **kw):
        super().__init__()
        self.depthwise = DepthwiseConv2d(in_channels, kernel_size, stride, padding, dilation,
                                         bias=bias and not norm_act, **kw)
        self.pointwise = PointwiseConv2d(in_channels, out_channels, bias=bias and not norm_act, **kw)
        self.norm_act = norm_act
        if norm_act:
            self.bn1, self.bn2 = nn.BatchNorm2d(in_channels), nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.depthwise(x)                                    # (B, C_in, H', W')
        if self.norm_act:
            x = self.bn1(x).relu()
        x = self.pointwise(x)                                    # (B, C_out, H', W')
        if self.norm_act:
            x = self.bn2(x).relu()
        return x
