"""Fully convolutional networks for segmentation (Long et al. 2015): FCN-32s, FCN-16s, FCN-8s.

Syllabus: vision.fcn. Notes: 001 S12.08, S12.10, S12.11.

A classifier is made fully convolutional (its FC layers become convs), so it outputs a coarse
class-score map at stride 32. FCN-32s upsamples that map x32 with one transposed conv (initialised
to bilinear interpolation). FCN-16s first upsamples x2 and ADDS 1x1-conv scores from the stride-16
features, FCN-8s does it again with the stride-8 features: the skips bring back boundary detail.
The backbone here is a small VGG-style stack (five conv+pool stages of configurable width) so it
trains on a CPU; the output is always H x W.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.conv_transpose import ConvTranspose2d
from ..nn.pooling import MaxPool2d
from .registry import register_model

__all__ = ["FCN", "bilinear_kernel", "fcn32s", "fcn16s", "fcn8s"]


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """(C, C, k, k) weights that make a transposed conv do per-channel bilinear upsampling."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float32)
    filt = 1 - (og - center).abs() / factor                      # (k,)
    w = torch.zeros(channels, channels, kernel_size, kernel_size)
    w[range(channels), range(channels)] = filt[:, None] * filt[None, :]
    return w


def _upsampler(channels: int, factor: int) -> ConvTranspose2d:
    up = ConvTranspose2d(channels, channels, 2 * factor, stride=factor, padding=factor // 2, bias=False)
    with torch.no_grad():
        up.weight.copy_(bilinear_kernel(channels, 2 * factor))
    return up


@syllabus("vision.fcn")
class FCN(nn.Module):
    def __init__(self, num_classes: int = 2, in_channels: int = 3, variant: str = "8s",
                 widths: tuple[int, ...] = (16, 32, 64, 64, 64), head_width: int = 128):
        super().__init__()
        expect(variant in ("32s", "16s", "8s"), "variant", "'32s', '16s' or '8s'", variant)
        expect(len(widths) == 5, "widths", "five stage widths", widths)
        stages, c = [], in_channels
        for w in widths:
            stages.append(nn.Sequential(Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                                        Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                                        MaxPool2d(2)))
            c = w
        self.stages = nn.ModuleList(stages)
        # the convolutionalised classifier ("fc6", "fc7") and the stride-32 scores
        self.fc = nn.Sequential(Conv2d(c, head_width, 3, padding=1), nn.ReLU(inplace=True),
                                Conv2d(head_width, head_width, 1), nn.ReLU(inplace=True))
        self.score32 = Conv2d(head_width, num_classes, 1)
        self.variant = variant
        if variant in ("16s", "8s"):
            self.score16 = Conv2d(widths[3], num_classes, 1)
            self.up32to16 = _upsampler(num_classes, 2)
        if variant == "8s":
            self.score8 = Conv2d(widths[2], num_classes, 1)
            self.up16to8 = _upsampler(num_classes, 2)
        self.upsample = _upsampler(num_classes, {"32s": 32, "16s": 16, "8s": 8}[variant])
        for s in ("score16", "score8"):
            if hasattr(self, s):
                nn.init.zeros_(getattr(self, s).weight)
                nn.init.zeros_(getattr(self, s).bias)

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4 and x.shape[-1] % 32 == 0 and x.shape[-2] % 32 == 0, "x",
               "a (B, C, H, W) tensor with H and W divisible by 32", tuple(x.shape))
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)                                      # strides 2, 4, 8, 16, 32
        s = self.score32(self.fc(x))                             # (B, K, H/32, W/32)
        if self.variant in ("16s", "8s"):
            s = self.up32to16(s) + self.score16(feats[3])        # (B, K, H/16, W/16)
        if self.variant == "8s":
            s = self.up16to8(s) + self.score8(feats[2])          # (B, K, H/8, W/8)
        return self.upsample(s)                                  # (B, K, H, W)


@register_model("fcn32s")
def fcn32s(**kw) -> FCN:
    return FCN(variant="32s", **kw)


@register_model("fcn16s")
def fcn16s(**kw) -> FCN:
    return FCN(variant="16s", **kw)


@register_model("fcn8s")
def fcn8s(**kw) -> FCN:
    return FCN(variant="8s", **kw)
