"""Feature Pyramid Network (Lin et al. 2017): a top-down path with lateral connections.

Syllabus: vision.fpn. Notes: 001 S13.34, S13.35.

Bottom-up, the backbone's stages C2..C5 have strides 4, 8, 16, 32. Top-down:

    P5 = conv3x3(lateral5(C5)),   M_l = lateral_l(C_l) + upsample_nearest_x2(M_{l+1}),   P_l = conv3x3(M_l)

with 1x1 lateral convs and every P_l at ``out_channels`` (256) channels, so each level combines
strong semantics from above with fine localisation from its own stage. Module and parameter
names follow torchvision.ops.FeaturePyramidNetwork (inner_blocks / layer_blocks).
"""
from __future__ import annotations

from collections import OrderedDict

import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d

__all__ = ["FeaturePyramidNetwork", "SmallBackbone"]


@syllabus("vision.fpn")
class FeaturePyramidNetwork(nn.Module):
    def __init__(self, in_channels_list: list[int], out_channels: int = 256):
        super().__init__()
        self.inner_blocks = nn.ModuleList(nn.Sequential(Conv2d(c, out_channels, 1)) for c in in_channels_list)
        self.layer_blocks = nn.ModuleList(nn.Sequential(Conv2d(out_channels, out_channels, 3, padding=1))
                                          for _ in in_channels_list)
        for m in self.modules():
            if isinstance(m, Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: "OrderedDict[str, Tensor]") -> "OrderedDict[str, Tensor]":
        names, feats = list(x.keys()), list(x.values())
        expect(len(feats) == len(self.inner_blocks), "x", f"{len(self.inner_blocks)} feature maps", len(feats))
        last = self.inner_blocks[-1](feats[-1])                   # (N, out, H5, W5)
        results = [self.layer_blocks[-1](last)]
        for i in range(len(feats) - 2, -1, -1):
            lateral = self.inner_blocks[i](feats[i])              # (N, out, H_i, W_i)
            last = lateral + F.interpolate(last, size=lateral.shape[-2:], mode="nearest")
            results.insert(0, self.layer_blocks[i](last))
        return OrderedDict(zip(names, results))


class SmallBackbone(nn.Module):
    """Four conv stages with strides 4, 8, 16, 32 (a stride-4 stem first), returning C2..C5."""

    def __init__(self, in_channels: int = 3, widths: tuple[int, ...] = (16, 32, 64, 64)):
        super().__init__()
        self.stem = nn.Sequential(Conv2d(in_channels, widths[0], 3, 2, 1), nn.ReLU(inplace=True),
                                  Conv2d(widths[0], widths[0], 3, 2, 1), nn.ReLU(inplace=True))
        stages, c = [], widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(Conv2d(c, w, 3, stride, 1), nn.BatchNorm2d(w), nn.ReLU(inplace=True)))
            c = w
        self.stages = nn.ModuleList(stages)
        self.out_channels = list(widths)

    def forward(self, x: Tensor) -> "OrderedDict[str, Tensor]":
        expect(x.dim() == 4, "x", "a 4-D tensor (N, C, H, W)", tuple(x.shape))
        x = self.stem(x)
        out = OrderedDict()
        for i, s in enumerate(self.stages):
            x = s(x)
            out[f"c{i + 2}"] = x                                  # strides 4, 8, 16, 32
        return out
