"""Single-object localisation: a CNN with a class head and a box-regression head.

Syllabus: vision.localization. Notes: 002 §5.2b, §5.2d; 001 S13.19.

One backbone, two heads: softmax class scores and 4 box numbers (normalised (cx, cy, w, h) in
[0, 1] through a sigmoid). The loss is cross-entropy plus lambda times a smooth-L1 (or L2) box
loss. A prediction counts as correct iff the class is right AND IoU(predicted box, true box) > 0.5.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from .boxes import box_iou

__all__ = ["LocalizationNet", "localization_loss", "localization_correct"]


@syllabus("vision.localization")
class LocalizationNet(nn.Module):
    """Conv backbone -> (class logits (N, K), boxes (N, 4) normalised cxcywh)."""

    def __init__(self, num_classes: int = 3, in_channels: int = 3, widths: tuple[int, ...] = (16, 32, 64),
                 hidden: int = 128, pool: int = 3):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = w
        # keep a pool x pool grid: where the object is must survive until the box head
        self.backbone = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(pool), nn.Flatten(),
                                      nn.Linear(pool * pool * c, hidden), nn.ReLU(inplace=True))
        self.class_head = nn.Linear(hidden, num_classes)
        self.box_head = nn.Linear(hidden, 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        expect(x.dim() == 4, "x", "a 4-D tensor (N, C, H, W)", tuple(x.shape))
        h = self.backbone(x)                                       # (N, hidden)
        return self.class_head(h), torch.sigmoid(self.box_head(h))


def localization_loss(logits: Tensor, boxes: Tensor, labels: Tensor, target_boxes: Tensor, lam: float = 5.0,
                      box_loss: str = "smooth_l1") -> Tensor:
    """CE(logits, labels) + lam * box loss (boxes and targets in the same normalised format)."""
    expect(box_loss in ("smooth_l1", "l2"), "box_loss", "'smooth_l1' or 'l2'", box_loss)
    reg = F.smooth_l1_loss(boxes, target_boxes, beta=0.05) if box_loss == "smooth_l1" else F.mse_loss(boxes, target_boxes)
    return F.cross_entropy(logits, labels) + lam * reg


@syllabus("vision.localization")
def localization_correct(pred_labels: Tensor, pred_boxes: Tensor, labels: Tensor, boxes: Tensor,
                         iou_threshold: float = 0.5) -> Tensor:
    """(N,) bool: class right and IoU(pred, true) > threshold (boxes xyxy)."""
    expect(pred_boxes.shape == boxes.shape, "pred_boxes", f"shape {tuple(boxes.shape)}", tuple(pred_boxes.shape))
    iou = box_iou(pred_boxes, boxes).diagonal() if len(boxes) else torch.zeros(0)
    return (pred_labels == labels) & (iou > iou_threshold)
