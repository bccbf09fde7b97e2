"""EfficientNet (Tan & Le 2019): MBConv blocks and compound scaling of depth, width and resolution.

Syllabus: cnn.efficientnet_scaling. Notes: 001 S9.44.

Compound scaling with one coefficient phi:

    depth d = alpha^phi,  width w = beta^phi,  resolution r = gamma^phi,
    alpha = 1.2, beta = 1.1, gamma = 1.15, chosen so alpha beta^2 gamma^2 ~ 2:
    FLOPs grow by (alpha beta^2 gamma^2)^phi ~ 2^phi.

B0 is the base network: stem conv 3x3/2 (32), seven stages of MBConv blocks (1x1 expand x6,
depthwise k x k, squeeze-and-excitation with C_in/4 channels, 1x1 project, residual when the
shape allows), conv 1x1 (1280), pool, FC. Layout and 5,288,548 parameters as torchvision's
efficientnet_b0 (SiLU activations, BN eps 1e-5; stochastic depth is left out: it has no parameters).
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from .registry import register_model
from .squeeze_excitation import SqueezeExcitation

__all__ = ["compound_scaling", "MBConv", "EfficientNet", "efficientnet_b0", "EFFICIENTNET_B0_STAGES"]

# (expand ratio, kernel, stride, in channels, out channels, layers)
EFFICIENTNET_B0_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                          (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]


@syllabus("cnn.efficientnet_scaling")
def compound_scaling(phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15) -> dict[str, float]:
    """Depth, width and resolution multipliers for coefficient phi, and the FLOPs factor (d w^2 r^2)."""
    d, w, r = alpha ** phi, beta ** phi, gamma ** phi
    return {"depth": d, "width": w, "resolution": r, "flops": d * w ** 2 * r ** 2}


def _make_divisible(v: float, divisor: int = 8) -> int:
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _conv_bn_act(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers = [Conv2d(c_in, c_out, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]
    return nn.Sequential(*layers, nn.SiLU(inplace=True)) if act else nn.Sequential(*layers)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise kxk, SE, 1x1 project (+ x when stride 1 and C_in = C_out)."""

    def __init__(self, c_in: int, c_out: int, expand: int, kernel: int, stride: int):
        super().__init__()
        hidden = _make_divisible(c_in * expand)
        layers: list[nn.Module] = []
        if hidden != c_in:
            layers.append(_conv_bn_act(c_in, hidden, 1))
        layers += [_conv_bn_act(hidden, hidden, kernel, stride, groups=hidden),
                   SqueezeExcitation(hidden, max(1, c_in // 4), activation=nn.SiLU),
                   _conv_bn_act(hidden, c_out, 1, act=False)]
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        y = self.block(x)
        return x + y if self.use_res else y


@syllabus("cnn.efficientnet_scaling")
class EfficientNet(nn.Module):
    def __init__(self, width_mult: float = 1.0, depth_mult: float = 1.0, num_classes: int = 1000,
                 dropout: float = 0.2, in_channels: int = 3):
        super().__init__()
        expect(width_mult > 0 and depth_mult > 0, "width_mult/depth_mult", "positive floats", (width_mult, depth_mult))
        ch = lambda c: _make_divisible(c * width_mult)
        layers: list[nn.Module] = [_conv_bn_act(in_channels, ch(32), 3, 2)]
        for expand, k, s, c_in, c_out, n in EFFICIENTNET_B0_STAGES:
            reps = int(math.ceil(n * depth_mult))
            stage = [MBConv(ch(c_in) if i == 0 else ch(c_out), ch(c_out), expand, k, s if i == 0 else 1)
                     for i in range(reps)]
            layers.append(nn.Sequential(*stage))
        last_in = ch(EFFICIENTNET_B0_STAGES[-1][4])
        layers.append(_conv_bn_act(last_in, 4 * last_in, 1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * last_in, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        return self.classifier(self.avgpool(self.features(x)).flatten(1))   # (B, num_classes)


@register_model("efficientnet_b0")
def efficientnet_b0(**kw) -> EfficientNet:
    return EfficientNet(1.0, 1.0, **kw)
