"""Squeeze-and-excitation (Hu et al. 2018): channel attention from globally pooled features.

Syllabus: cnn.squeeze_excitation. Notes: 001 S18.03.

    s = GAP(x) in R^C                            squeeze
    e = sigmoid(W2 relu(W1 s + b1) + b2)         excite, W1: C -> C/r, W2: C/r -> C, r = 16
    y = x * e                                    rescale each channel by its gate in (0, 1)

Parameters 2C^2/r + C/r + C. Layout and names as torchvision.ops.SqueezeExcitation (fc1 and fc2
are 1x1 convs with bias).
"""
from __future__ import annotations

from typing import Callable

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d

__all__ = ["SqueezeExcitation", "se_block"]


@syllabus("cnn.squeeze_excitation")
class SqueezeExcitation(nn.Module):
    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid):
        super().__init__()
        expect(squeeze_channels >= 1, "squeeze_channels", "a positive int", squeeze_channels)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = Conv2d(squeeze_channels, input_channels, 1)
        self.activation, self.scale_activation = activation(), scale_activation()

    def gates(self, x: Tensor) -> Tensor:
        s = self.avgpool(x)                                      # (B, C, 1, 1)
        return self.scale_activation(self.fc2(self.activation(self.fc1(s))))   # (B, C, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gates(x)                                 # (B, C, H, W)


def se_block(channels: int, reduction: int = 16) -> SqueezeExcitation:
    """An SE block with ratio r: C -> C // r -> C."""
    return SqueezeExcitation(channels, max(1, channels // reduction))
