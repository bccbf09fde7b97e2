"""MobileNet-v1 (Howard et al. 2017): a stack of depthwise-separable convolutions.

Syllabus: cnn.mobilenet_xception. Notes: 001 S9.39, S9.40.

conv 3x3/2 (32) then 13 depthwise-separable blocks (depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN +
ReLU), global average pool, FC. With width multiplier alpha every channel count is scaled by
alpha. At alpha = 1 and 224x224 input it has about 4.2M parameters. Replacing a K x K conv by its
separable version multiplies its weights by 1/C_out + 1/K^2 (Xception takes the same idea to
"extreme Inception": every conv separable, with residual shortcuts).
"""
from __future__ import annotations

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.conv_separable import DepthwiseSeparableConv2d
from .registry import register_model

__all__ = ["MobileNetV1", "mobilenet_v1", "separable_weight_ratio"]

_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def separable_weight_ratio(in_channels: int, out_channels: int, kernel_size: int) -> float:
    """(C_in K^2 + C_in C_out) / (C_out C_in K^2) = 1/C_out + 1/K^2."""
    return (in_channels * kernel_size ** 2 + in_channels * out_channels) / (out_channels * in_channels * kernel_size ** 2)


@syllabus("cnn.mobilenet_xception")
class MobileNetV1(nn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0):
        super().__init__()
        expect(width_mult > 0, "width_mult", "a positive float", width_mult)
        w = lambda c: max(8, int(c * width_mult))
        layers: list[nn.Module] = [Conv2d(in_channels, w(32), 3, 2, 1, bias=False), nn.BatchNorm2d(w(32)), nn.ReLU(True)]
        c = w(32)
        for out, stride in _BLOCKS:
            layers.append(DepthwiseSeparableConv2d(c, w(out), 3, stride, 1, bias=False, norm_act=True))
            c = w(out)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        return self.fc(self.avgpool(self.features(x)).flatten(1))   # (B, num_classes)


@register_model("mobilenet_v1")
def mobilenet_v1(**kw) -> MobileNetV1:
    return MobileNetV1(**kw)
