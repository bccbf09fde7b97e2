"""YOLOv3's multi-scale heads: three feature maps (strides 32, 16, 8), three anchors each.

Syllabus: vision.yolov3_multiscale. Notes: 001 S13.27.

For a 416 x 416 input the maps are 13 x 13, 26 x 26 and 52 x 52; each cell predicts 3 boxes of
4 + 1 + 80 values (box, objectness, independent sigmoid class scores for COCO's 80 classes):
3 (13^2 + 26^2 + 52^2) = 3 x 3549 = 10,647 boxes (001 writes 13^2 + 26^2 + 52^2 = 10647, dropping
the x3). :class:`YOLOv3Heads` is the 1x1 prediction conv on each map plus the decoding;
:class:`TinyYOLOv3` adds a small stride-32 backbone with an upsampling path so it runs on a CPU.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from .yolo_decoding import decode_yolo_grid

__all__ = ["YOLOv3Heads", "TinyYOLOv3", "yolov3_num_boxes", "YOLOV3_ANCHORS"]

# COCO anchors (pixels), three per scale: small ones on the stride-8 map
YOLOV3_ANCHORS = [[(10, 13), (16, 30), (33, 23)], [(30, 61), (62, 45), (59, 119)], [(116, 90), (156, 198), (373, 326)]]


def yolov3_num_boxes(image_size: int = 416, anchors_per_scale: int = 3, strides=(8, 16, 32)) -> int:
    return sum(anchors_per_scale * (image_size // s) ** 2 for s in strides)


@syllabus("vision.yolov3_multiscale")
class YOLOv3Heads(nn.Module):
    """1x1 convs to A*(5 + C) channels on maps of strides (8, 16, 32); decoded (N, sum HWA, 5 + C) in pixels."""

    def __init__(self, in_channels: tuple[int, int, int], num_classes: int = 80, anchors=YOLOV3_ANCHORS,
                 strides=(8, 16, 32)):
        super().__init__()
        self.anchors = [torch.tensor(a, dtype=torch.float32) for a in anchors]
        self.strides, self.C = strides, num_classes
        self.convs = nn.ModuleList(Conv2d(c, len(a) * (5 + num_classes), 1) for c, a in zip(in_channels, anchors))

    def forward(self, features: list[Tensor]) -> Tensor:
        expect(len(features) == len(self.convs), "features", f"{len(self.convs)} maps (strides {self.strides})", len(features))
        outs = []
        for f, conv, anchors, s in zip(features, self.convs, self.anchors, self.strides):
            N, _, H, W = f.shape
            A = len(anchors)
            p = conv(f).view(N, A, 5 + self.C, H, W).permute(0, 1, 3, 4, 2)     # (N, A, H, W, 5 + C)
            boxes = decode_yolo_grid(p[..., :4], anchors / s, stride=s)           # (N, A, H, W, 4) pixels
            scores = torch.sigmoid(p[..., 4:])                                     # objectness + classes
            outs.append(torch.cat([boxes, scores], -1).reshape(N, -1, 5 + self.C))
        return torch.cat(outs, 1)                                                  # (N, total, 5 + C)


class TinyYOLOv3(nn.Module):
    """A small backbone with an FPN-like upsampling path feeding :class:`YOLOv3Heads`."""

    def __init__(self, num_classes: int = 80, width: int = 8):
        super().__init__()
        chans = [width * 2 ** i for i in range(6)]                 # strides 1, 2, 4, 8, 16, 32
        layers, c = [], 3
        for i, w in enumerate(chans):
            layers.append(nn.Sequential(Conv2d(c, w, 3, stride=1 if i == 0 else 2, padding=1), nn.LeakyReLU(0.1)))
            c = w
        self.stages = nn.ModuleList(layers)
        self.lat16, self.lat8 = Conv2d(chans[5] + chans[4], chans[4], 1), Conv2d(chans[4] + chans[3], chans[3], 1)
        self.heads = YOLOv3Heads((chans[3], chans[4], chans[5]), num_classes)

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (N, C, H, W)", tuple(x.shape))
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        p32 = feats[5]                                                              # (N, 32w, H/32, W/32)
        p16 = self.lat16(torch.cat([F.interpolate(p32, scale_factor=2.0), feats[4]], 1))
        p8 = self.lat8(torch.cat([F.interpolate(p16, scale_factor=2.0), feats[3]], 1))
        return self.heads([p8, p16, p32])
