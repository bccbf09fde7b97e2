"""Bottleneck encoder-decoder segmentation (SegNet / DeconvNet style) with pooling switches.

Syllabus: vision.encoder_decoder_segmentation. Notes: 002 §5.2p, §5.2s.

A VGG-like encoder (conv-BN-ReLU then 2x2 max pool, recording the argmax "switches") is mirrored
by a decoder that undoes each pool and refines with convs, ending in per-pixel class scores
(softmax over channels). The decoder's upsampling is selectable, to ablate it:
``'max_unpool'`` puts each value back where the encoder's max came from (the switches),
``'nearest'`` copies it over the block, ``'bed_of_nails'`` puts it top-left, and
``'transposed'`` learns a 2x2 stride-2 transposed conv.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.conv_transpose import ConvTranspose2d
from ..nn.pooling import MaxPool2d
from ..nn.unpooling import BedOfNailsUnpool2d, MaxUnpool2d, UpsampleNearest2d
from .registry import register_model

__all__ = ["EncoderDecoderSegNet", "segnet"]

UNPOOL_MODES = ("max_unpool", "nearest", "bed_of_nails", "transposed")


def _cbr(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


@syllabus("vision.encoder_decoder_segmentation")
class EncoderDecoderSegNet(nn.Module):
    def __init__(self, in_channels: int = 3, num_classes: int = 2, widths: tuple[int, ...] = (16, 32, 64),
                 unpool: str = "max_unpool"):
        super().__init__()
        expect(unpool in UNPOOL_MODES, "unpool", f"one of {UNPOOL_MODES}", unpool)
        self.unpool_mode = unpool
        chans = [in_channels, *widths]
        self.enc = nn.ModuleList(_cbr(chans[i], chans[i + 1]) for i in range(len(widths)))
        self.pool = MaxPool2d(2, 2, return_indices=True)
        ups = []
        for i in reversed(range(len(widths))):
            c = chans[i + 1]
            ups.append({"max_unpool": MaxUnpool2d(2, 2), "nearest": UpsampleNearest2d(2),
                        "bed_of_nails": BedOfNailsUnpool2d(2), "transposed": ConvTranspose2d(c, c, 2, 2)}[unpool])
        self.unpools = nn.ModuleList(ups)
        self.dec = nn.ModuleList(_cbr(chans[i + 1], chans[max(i, 1)]) for i in reversed(range(len(widths))))
        self.head = Conv2d(chans[1], num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        m = 2 ** len(self.enc)
        expect(x.dim() == 4 and x.shape[-2] % m == 0 and x.shape[-1] % m == 0, "x",
               f"a (B, C, H, W) tensor with H and W divisible by {m}", tuple(x.shape))
        switches = []
        for block in self.enc:
            x, idx = self.pool(block(x))                         # (B, c, H/2, W/2), argmax indices
            switches.append(idx)
        for unpool, block, idx in zip(self.unpools, self.dec, reversed(switches)):
            x = unpool(x, idx) if self.unpool_mode == "max_unpool" else unpool(x)   # (B, c, 2h, 2w)
            x = block(x)
        return self.head(x)                                      # (B, K, H, W) class scores


@register_model("segnet")
def segnet(**kw) -> EncoderDecoderSegNet:
    return EncoderDecoderSegNet(**kw)
