"""U-Net (Ronneberger et al. 2015): a contracting path, an expanding path and skip concatenations.

Syllabus: vision.unet. Notes: 001 S12.12-S12.17; 002 §5.2t.

Encoder level l: two 3x3 conv + BN + ReLU (c_l = base * 2^l channels), then 2x2 max pool.
Decoder level l: 2x2 transposed conv (stride 2) halving the channels, concatenate the encoder's
map of the same level (centre-cropped when the convs are unpadded), two 3x3 convs. A final 1x1 conv
gives the class scores per pixel. There is no fully connected layer anywhere (001 calls the
decoder "fully connected" and speaks of autoencoders; neither is right).

``padding=False`` is the original: every 3x3 conv loses 2 pixels, 572x572 -> 388x388 with a 32x32
map entering the bottleneck. ``padding=True`` keeps the size (H, W divisible by 2^depth).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.conv_transpose import ConvTranspose2d
from ..nn.pooling import MaxPool2d
from .registry import register_model

__all__ = ["UNet", "unet"]


def _double_conv(c_in: int, c_out: int, padding: bool) -> nn.Sequential:
    p = 1 if padding else 0
    return nn.Sequential(Conv2d(c_in, c_out, 3, padding=p, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                         Conv2d(c_out, c_out, 3, padding=p, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


def _center_crop(x: Tensor, h: int, w: int) -> Tensor:
    top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
    return x[..., top:top + h, left:left + w]


@syllabus("vision.unet")
class UNet(nn.Module):
    def __init__(self, in_channels: int = 1, num_classes: int = 2, base: int = 64, depth: int = 4,
                 padding: bool = True):
        super().__init__()
        expect(depth >= 1, "depth", "a positive int", depth)
        chans = [base * 2 ** l for l in range(depth + 1)]        # 64, 128, 256, 512, 1024
        self.down = nn.ModuleList(_double_conv(in_channels if l == 0 else chans[l - 1], chans[l], padding)
                                  for l in range(depth))
        self.pool = MaxPool2d(2)
        self.bottleneck = _double_conv(chans[depth - 1], chans[depth], padding)
        self.up = nn.ModuleList(ConvTranspose2d(chans[l + 1], chans[l], 2, stride=2) for l in reversed(range(depth)))
        self.up_conv = nn.ModuleList(_double_conv(2 * chans[l], chans[l], padding) for l in reversed(range(depth)))
        self.head = Conv2d(chans[0], num_classes, 1)
        self.padding, self.depth = padding, depth

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (B, C, H, W)", tuple(x.shape))
        if self.padding:
            m = 2 ** self.depth
            expect(x.shape[-2] % m == 0 and x.shape[-1] % m == 0, "x", f"H and W divisible by {m}", tuple(x.shape))
        skips = []
        for block in self.down:
            x = block(x)                                         # (B, c_l, H_l, W_l)
            skips.append(x)
            x = self.pool(x)
        self.bottleneck_input_size = tuple(x.shape[-2:])         # 32x32 for the original 572 input
        x = self.bottleneck(x)                                   # (B, c_depth, ., .)
        for up, conv, skip in zip(self.up, self.up_conv, reversed(skips)):
            x = up(x)                                            # (B, c_l, 2h, 2w)
            x = conv(torch.cat([_center_crop(skip, *x.shape[-2:]), x], 1))
        return self.head(x)                                      # (B, num_classes, H', W')


@register_model("unet")
def unet(**kw) -> UNet:
    return UNet(**kw)
