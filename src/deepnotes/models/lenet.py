"""LeNet-5 (LeCun et al. 1998): two conv/subsampling stages and three fully connected layers.

Syllabus: cnn.lenet. Notes: 002 §5.1i.

    32x32x1 -> conv 5x5, 6  -> 28x28x6  -> pool 2 -> 14x14x6
            -> conv 5x5, 16 -> 10x10x16 -> pool 2 -> 5x5x16 = 400
            -> FC 120 -> FC 84 -> FC 10          (tanh; ReLU and max pooling are options)

Parameters: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706. 8x8 digits are zero-padded to 32x32.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.pooling import AvgPool2d, MaxPool2d
from .registry import register_model

__all__ = ["LeNet5", "lenet5"]


@syllabus("cnn.lenet")
class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1, activation: str = "tanh",
                 pool: str = "avg"):
        super().__init__()
        expect(activation in ("tanh", "relu"), "activation", "'tanh' or 'relu'", activation)
        expect(pool in ("avg", "max"), "pool", "'avg' or 'max'", pool)
        act = nn.Tanh if activation == "tanh" else nn.ReLU
        Pool = AvgPool2d if pool == "avg" else MaxPool2d
        self.features = nn.Sequential(
            Conv2d(in_channels, 6, 5), act(), Pool(2),           # (B, 6, 14, 14)
            Conv2d(6, 16, 5), act(), Pool(2))                    # (B, 16, 5, 5)
        self.classifier = nn.Sequential(
            nn.Linear(400, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4 and x.shape[-2:] == (32, 32), "x", "a (B, C, 32, 32) tensor", tuple(x.shape))
        return self.classifier(self.features(x).flatten(1))      # (B, num_classes)


@register_model("lenet5")
def lenet5(**kw) -> LeNet5:
    return LeNet5(**kw)
