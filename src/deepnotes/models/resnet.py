"""Residual networks (He et al. 2015): ResNet-18/34/50/101/152 and the small CIFAR/digits family.

Syllabus: cnn.residual_block, cnn.resnet. Notes: 000 L5.07; 001 S9.41; 002 §5.1o, §5.1q;
003 L0.11, L0.13, L12.09.

A residual block learns a correction to the identity:

    H(x) = F(x) + x            (a 1x1 conv + BN projection replaces x when shapes change)
    dH/dx = I + dF/dx          so the gradient always has an identity path

F is conv3x3-BN-ReLU-conv3x3-BN (basic block, ResNet-18/34) or 1x1 reduce - 3x3 - 1x1 expand x4
(bottleneck, ResNet-50/101/152). The ImageNet network: conv 7x7/2 (64) + maxpool 3/2, four stages
of blocks (64, 128, 256, 512 channels; stride 2 at the start of stages 2-4), global average pool,
FC. Parameter counts equal torchvision's (ResNet-18 11,689,512; ResNet-152 60,192,808) and so do
the module names, so torchvision state dicts load. The CIFAR family (depth 6n + 2: 3x3 stem,
three stages of n basic blocks with 16/32/64 channels) is what fits a CPU; ``plain=True`` drops
every shortcut, giving the plain network of the same depth.
"""
from __future__ import annotations

from typing import Type

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.pooling import MaxPool2d
from .registry import register_model

__all__ = ["ResidualBlock", "BasicBlock", "Bottleneck", "ResNet", "CifarResNet", "resnet18", "resnet34",
           "resnet50", "resnet101", "resnet152", "resnet_cifar"]


@syllabus("cnn.residual_block")
class ResidualBlock(nn.Module):
    """The textbook block H(x) = F(x) + shortcut(x), F = conv-BN-ReLU-conv-BN (no ReLU after the add).

    ``zero_init=True`` zeroes F's last BN scale, so the block starts as the identity.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, zero_init: bool = False):
        super().__init__()
        self.f = nn.Sequential(
            Conv2d(in_channels, out_channels, 3, stride, 1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(),
            Conv2d(out_channels, out_channels, 3, 1, 1, bias=False), nn.BatchNorm2d(out_channels))
        self.shortcut = nn.Identity() if stride == 1 and in_channels == out_channels else nn.Sequential(
            Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels))
        if zero_init:
            nn.init.zeros_(self.f[-1].weight)

    def forward(self, x: Tensor) -> Tensor:
        return self.f(x) + self.shortcut(x)                      # (B, C_out, H/s, W/s)


class BasicBlock(nn.Module):
    """torchvision's basic block: relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x))."""
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 plain: bool = False):
        super().__init__()
        self.conv1 = Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample, self.plain = downsample, plain

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if not self.plain:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class Bottleneck(nn.Module):
    """torchvision's bottleneck: 1x1 reduce, 3x3 (stride here), 1x1 expand x4, then the shortcut."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 plain: bool = False):
        super().__init__()
        width = planes
        self.conv1 = Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample, self.plain = downsample, plain

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if not self.plain:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


def _stage(block, inplanes: int, planes: int, blocks: int, stride: int, plain: bool) -> tuple[nn.Sequential, int]:
    downsample = None
    if not plain and (stride != 1 or inplanes != planes * block.expansion):
        downsample = nn.Sequential(Conv2d(inplanes, planes * block.expansion, 1, stride, bias=False),
                                   nn.BatchNorm2d(planes * block.expansion))
    layers = [block(inplanes, planes, stride, downsample, plain)]
    inplanes = planes * block.expansion
    layers += [block(inplanes, planes, plain=plain) for _ in range(1, blocks)]
    return nn.Sequential(*layers), inplanes


@syllabus("cnn.resnet")
class ResNet(nn.Module):
    """The ImageNet ResNet: stem 7x7/2 + maxpool, four stages, global average pool, FC."""

    def __init__(self, block: Type[nn.Module], layers: list[int], num_classes: int = 1000, in_channels: int = 3,
                 zero_init_residual: bool = False, plain: bool = False):
        super().__init__()
        self.conv1 = Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = MaxPool2d(3, 2, 1)
        c = 64
        self.layer1, c = _stage(block, c, 64, layers[0], 1, plain)
        self.layer2, c = _stage(block, c, 128, layers[1], 2, plain)
        self.layer3, c = _stage(block, c, 256, layers[2], 2, plain)
        self.layer4, c = _stage(block, c, 512, layers[3], 2, plain)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for m in self.modules():
                last = getattr(m, "bn3", None) if isinstance(m, Bottleneck) else getattr(m, "bn2", None) \
                    if isinstance(m, BasicBlock) else None
                if last is not None:
                    nn.init.zeros_(last.weight)

    def forward_features(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))    # (B, 64, H/4, W/4)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))   # (B, 512*e, H/32, W/32)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.avgpool(self.forward_features(x)).flatten(1))   # (B, num_classes)


@syllabus("cnn.resnet")
class CifarResNet(nn.Module):
    """ResNet-(6n+2) for small images: 3x3 stem, stages of n basic blocks at 16/32/64 channels."""

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3, width: int = 16,
                 plain: bool = False):
        super().__init__()
        expect((depth - 2) % 6 == 0 and depth >= 8, "depth", "6n + 2 with n >= 1 (8, 14, 20, 32, 56, ...)", depth)
        n = (depth - 2) // 6
        self.conv1 = Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        c = width
        self.layer1, c = _stage(BasicBlock, c, width, n, 1, plain)
        self.layer2, c = _stage(BasicBlock, c, 2 * width, n, 2, plain)
        self.layer3, c = _stage(BasicBlock, c, 4 * width, n, 2, plain)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        x = self.relu(self.bn1(self.conv1(x)))                   # (B, w, H, W)
        x = self.layer3(self.layer2(self.layer1(x)))             # (B, 4w, H/4, W/4)
        return self.fc(self.avgpool(x).flatten(1))               # (B, num_classes)


@register_model("resnet18")
def resnet18(**kw) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], **kw)


@register_model("resnet34")
def resnet34(**kw) -> ResNet:
    return ResNet(BasicBlock, [3, 4, 6, 3], **kw)


@register_model("resnet50")
def resnet50(**kw) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 6, 3], **kw)


@register_model("resnet101")
def resnet101(**kw) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 23, 3], **kw)


@register_model("resnet152")
def resnet152(**kw) -> ResNet:
    return ResNet(Bottleneck, [3, 8, 36, 3], **kw)


@register_model("resnet_cifar")
def resnet_cifar(depth: int = 20, **kw) -> CifarResNet:
    return CifarResNet(depth, **kw)


for _d in (8, 20, 32, 56):
    register_model(f"resnet{_d}")(lambda _d=_d, **kw: CifarResNet(_d, **kw))
    register_model(f"plain{_d}")(lambda _d=_d, **kw: CifarResNet(_d, plain=True, **kw))
