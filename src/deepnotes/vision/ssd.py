"""SSD: single-shot detection with default boxes on several feature maps.

Syllabus: vision.ssd. Notes: 001 S13.15.

Each feature map of the backbone's pyramid (finer maps for small objects) carries A default boxes
per cell (a scale per map, several aspect ratios); a 3x3 conv head per map predicts, for every
default box, K + 1 class scores and 4 offsets. Default boxes in all: sum over maps of H W A.
Training matches default boxes to ground truth and keeps the hardest negatives at a 3:1
negative:positive ratio (:func:`hard_negative_mining`).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from .anchors import make_anchors

__all__ = ["SSDHead", "ssd_default_boxes", "hard_negative_mining"]


@syllabus("vision.ssd")
def ssd_default_boxes(feature_sizes: list[tuple[int, int]], image_size: int | tuple[int, int], scales: list[float],
                      aspect_ratios=(1.0, 2.0, 0.5)) -> Tensor:
    """(sum H W A, 4) xyxy default boxes, map by map; a (h, w) map of an (H, W) image has strides (H / h, W / w)."""
    expect(len(scales) == len(feature_sizes), "scales", f"one scale per map ({len(feature_sizes)})", scales)
    H, W = (image_size, image_size) if isinstance(image_size, int) else image_size
    return torch.cat([make_anchors(fs, (H / fs[0], W / fs[1]), scales=(s,), ratios=aspect_ratios)
                      for fs, s in zip(feature_sizes, scales)])


@syllabus("vision.ssd")
class SSDHead(nn.Module):
    """Per-map 3x3 conv heads; returns (N, sum HWA, K + 1) class logits and (N, sum HWA, 4) offsets."""

    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int):
        super().__init__()
        self.cls = nn.ModuleList(Conv2d(c, a * (num_classes + 1), 3, padding=1) for c, a in zip(in_channels, num_anchors))
        self.reg = nn.ModuleList(Conv2d(c, a * 4, 3, padding=1) for c, a in zip(in_channels, num_anchors))
        self.num_anchors, self.K = num_anchors, num_classes + 1

    def forward(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        cls, reg = [], []
        for f, c, r, a in zip(features, self.cls, self.reg, self.num_anchors):
            N, _, H, W = f.shape
            cls.append(c(f).view(N, a, self.K, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, self.K))
            reg.append(r(f).view(N, a, 4, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, 4))
        return torch.cat(cls, 1), torch.cat(reg, 1)


def hard_negative_mining(loss: Tensor, labels: Tensor, neg_pos_ratio: int = 3) -> Tensor:
    """Mask of positives plus the highest-loss negatives, at most ``neg_pos_ratio`` per positive."""
    pos = labels > 0
    n_neg = min(int(pos.sum()) * neg_pos_ratio, int((~pos).sum()))
    neg_loss = loss.masked_fill(pos, float("-inf"))
    mask = pos.clone()
    if n_neg:
        mask[neg_loss.topk(n_neg).indices] = True
    return mask
