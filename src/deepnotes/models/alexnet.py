"""AlexNet (Krizhevsky et al. 2012), as described in the notes (96-256-384-384-256 channels).

Syllabus: cnn.alexnet. Notes: 001 S9.34; 002 §5.1j; 003 L0.14.

    227x227x3 -> conv 11x11/4, 96 -> 55 -> LRN -> maxpool 3/2 -> 27
              -> conv 5x5 pad 2, 256 -> 27 -> LRN -> maxpool 3/2 -> 13
              -> conv 3x3 pad 1: 384, 384, 256 -> 13 -> maxpool 3/2 -> 6x6x256 = 9216
              -> FC 4096 -> FC 4096 -> FC 1000   (ReLU; dropout 0.5 before FC6 and FC7)

002 gives a 224x224 input, but (224 - 11)/4 + 1 is not an integer: 227 is what yields 55.
Single tower: 62,378,344 parameters; ``groups=2`` reproduces the original two-GPU split of
conv2, conv4 and conv5 (60,965,224). torchvision's "alexnet" is a different, later variant.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.local_response_norm import LocalResponseNorm
from ..nn.pooling import MaxPool2d
from .registry import register_model

__all__ = ["AlexNet", "alexnet"]


@syllabus("cnn.alexnet")
class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000, in_channels: int = 3, groups: int = 1, lrn: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        norm = (lambda: LocalResponseNorm(5, 1e-4, 0.75, 2.0)) if lrn else nn.Identity
        self.features = nn.Sequential(
            Conv2d(in_channels, 96, 11, stride=4), nn.ReLU(inplace=True), norm(), MaxPool2d(3, 2),   # 55 -> 27
            Conv2d(96, 256, 5, padding=2, groups=groups), nn.ReLU(inplace=True), norm(), MaxPool2d(3, 2),  # 27 -> 13
            Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            Conv2d(384, 384, 3, padding=1, groups=groups), nn.ReLU(inplace=True),
            Conv2d(384, 256, 3, padding=1, groups=groups), nn.ReLU(inplace=True), MaxPool2d(3, 2))   # 13 -> 6
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        return self.classifier(self.features(x).flatten(1))      # (B, 9216) -> (B, num_classes)


@register_model("alexnet")
def alexnet(**kw) -> AlexNet:
    return AlexNet(**kw)
