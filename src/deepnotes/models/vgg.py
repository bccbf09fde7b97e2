"""VGG (Simonyan & Zisserman 2014): stacks of 3x3 convs, 2x2 max pools, three FC layers.

Syllabus: cnn.vgg16. Notes: 001 S9.35, S11.06; 002 §5.1n.

VGG-16 = [64 x2, pool][128 x2, pool][256 x3, pool][512 x3, pool][512 x3, pool] -> FC 25088 -> 4096
-> 4096 -> 1000: 13 conv + 3 FC weight layers (001's "41 layers" also counts ReLU, pooling,
dropout and softmax modules). Spatial sizes 224 -> 112 -> 56 -> 28 -> 14 -> 7. 138,357,544
parameters, 102,764,544 (74%) of them in the first FC layer; most activation memory sits in
the first, full-resolution layers. Module names follow torchvision (features / avgpool / classifier).
"""
from __future__ import annotations

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.pooling import MaxPool2d
from .registry import register_model

__all__ = ["VGG", "VGG_CONFIGS", "vgg11", "vgg16", "vgg19"]

VGG_CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


@syllabus("cnn.vgg16")
class VGG(nn.Module):
    def __init__(self, cfg: list = VGG_CONFIGS["vgg16"], num_classes: int = 1000, in_channels: int = 3,
                 batch_norm: bool = False, dropout: float = 0.5):
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for v in cfg:
            if v == "M":
                layers.append(MaxPool2d(2, 2))
            else:
                layers += [Conv2d(c, v, 3, padding=1)] + ([nn.BatchNorm2d(v)] if batch_norm else []) + [nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(c * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        x = self.avgpool(self.features(x))                       # (B, 512, 7, 7)
        return self.classifier(x.flatten(1))                     # (B, num_classes)


@register_model("vgg11")
def vgg11(**kw) -> VGG:
    return VGG(VGG_CONFIGS["vgg11"], **kw)


@register_model("vgg16")
def vgg16(**kw) -> VGG:
    return VGG(VGG_CONFIGS["vgg16"], **kw)


@register_model("vgg19")
def vgg19(**kw) -> VGG:
    return VGG(VGG_CONFIGS["vgg19"], **kw)
