"""The basic CNN classifier: [conv ('same') -> activation -> pool] blocks, flatten, FC layers.

Syllabus: cnn.cnn_classifier. Notes: 000 L3.09; 002 §5.1a, §5.1f.

Each block maps H x W x C_in -> H x W x C_out (a 'same' 3x3 conv), applies the non-linearity and
pools by N: H/N x W/N x C_out (002 writes "H/N x W/n"). After the blocks the map is flattened
and fed to fully connected layers; softmax (in the loss) gives class probabilities. On the 8x8
digits two blocks (16, 32 channels) give 32 x 2 x 2 = 128 features and fewer than 50k weights.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.conv_arithmetic import pool_output_size
from ..nn.pooling import AvgPool2d, MaxPool2d
from .registry import register_model

__all__ = ["CNNClassifier", "cnn_classifier"]


@syllabus("cnn.cnn_classifier")
class CNNClassifier(nn.Module):
    def __init__(self, in_channels: int = 1, num_classes: int = 10, channels: tuple[int, ...] = (16, 32),
                 image_size: int = 8, pool: str = "max", hidden: int = 64, fast: bool = True):
        super().__init__()
        expect(pool in ("max", "avg"), "pool", "'max' or 'avg'", pool)
        Pool = MaxPool2d if pool == "max" else AvgPool2d
        blocks, c, size = [], in_channels, image_size
        for out in channels:
            blocks += [Conv2d(c, out, 3, padding="same", fast=fast), nn.ReLU(), Pool(2, fast=fast)]
            c, size = out, pool_output_size(size, 2)
        self.features = nn.Sequential(*blocks)
        self.feature_shape = (c, size, size)                     # from the arithmetic, checked in the tests
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c * size * size, hidden), nn.ReLU(),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        return self.classifier(self.features(x))                 # (B, num_classes) logits


@register_model("cnn_classifier")
def cnn_classifier(**kw) -> CNNClassifier:
    return CNNClassifier(**kw)
