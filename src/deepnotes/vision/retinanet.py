"""RetinaNet: an FPN backbone, class and box subnets, and the focal loss.

Syllabus: vision.retinanet. Notes: 001 S13.16.

Dense detectors see ~100k anchors, almost all easy background; cross-entropy summed over them is
dominated by easy negatives. The focal loss down-weights well-classified anchors:

    FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t),   alpha = 0.25, gamma = 2,

p_t = p for positives and 1 - p for negatives (alpha_t likewise, alpha < 0 disables it); gamma = 0
and alpha = -1 give binary cross-entropy. The class subnet's last bias is set to -log((1 - pi)/pi)
(pi = 0.01) so training starts with every anchor predicted as background.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d

__all__ = ["sigmoid_focal_loss", "RetinaNetHead"]


@syllabus("vision.retinanet")
def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2.0,
                       reduction: str = "none") -> Tensor:
    """torchvision.ops.sigmoid_focal_loss's arguments: logits ``inputs``, binary ``targets`` of the same shape."""
    expect(inputs.shape == targets.shape, "targets", f"the inputs' shape {tuple(inputs.shape)}", tuple(targets.shape))
    expect(reduction in ("none", "mean", "sum"), "reduction", "'none', 'mean' or 'sum'", reduction)
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")   # -log p_t, stably
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@syllabus("vision.retinanet")
class RetinaNetHead(nn.Module):
    """Class and box subnets (``num_convs`` 3x3 conv + ReLU each) shared across FPN levels."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int, num_convs: int = 4, prior: float = 0.01):
        super().__init__()
        def tower():
            return nn.Sequential(*[m for _ in range(num_convs) for m in (Conv2d(in_channels, in_channels, 3, padding=1), nn.ReLU())])
        self.cls_tower, self.box_tower = tower(), tower()
        self.cls_logits = Conv2d(in_channels, num_anchors * num_classes, 3, padding=1)
        self.bbox_pred = Conv2d(in_channels, num_anchors * 4, 3, padding=1)
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior) / prior))
        self.A, self.K = num_anchors, num_classes

    def forward(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        cls, box = [], []
        for f in features:
            N, _, H, W = f.shape
            cls.append(self.cls_logits(self.cls_tower(f)).view(N, self.A, self.K, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, self.K))
            box.append(self.bbox_pred(self.box_tower(f)).view(N, self.A, 4, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, 4))
        return torch.cat(cls, 1), torch.cat(box, 1)             # (N, sum HWA, K), (N, sum HWA, 4)
