"""Confidence thresholding and greedy (per-class) non-maximum suppression.

Syllabus: vision.nms. Notes: 001 S13.36, S13.37; 002 §5.2h.

Drop the boxes whose score is below tau_conf. Then, per class: sort by score; keep the best box;
remove every remaining box whose IoU with it exceeds tau_nms (0.5 by default); repeat with the
best of what is left (computed block by block along the score order, each block compared with
the boxes already kept, so memory stays O(N x block)). Afterwards no two kept boxes of the same class overlap by more than
tau_nms, and two identical boxes reduce to one. ``batched_nms`` runs the classes independently
(torchvision's semantics: indices into the input, sorted by decreasing score).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..core import expect, syllabus
from .boxes import check_boxes

__all__ = ["nms", "batched_nms", "score_threshold", "postprocess_detections"]


@syllabus("vision.nms")
def nms(boxes: Tensor, scores: Tensor, iou_threshold: float = 0.5) -> Tensor:
    """Indices of the kept boxes, by decreasing score."""
    boxes = check_boxes(boxes)
    expect(scores.shape == boxes.shape[:1], "scores", f"shape ({len(boxes)},)", tuple(scores.shape))
    expect(0 <= iou_threshold <= 1, "iou_threshold", "a value in [0, 1]", iou_threshold)
    order = torch.argsort(scores, descending=True, stable=True)
    b = boxes[order]                                              # (N, 4) in score order
    kept_boxes = b[:0]
    keep: list[int] = []
    block = 256
    for start in range(0, len(b), block):                         # blocks of the score order
        blk = b[start:start + block]                              # (Bk, 4)
        # suppressed by a box kept in an earlier block
        sup = (_iou(blk, kept_boxes) > iou_threshold).any(1).numpy() if len(kept_boxes) else np.zeros(len(blk), bool)
        within = (_iou(blk, blk) > iou_threshold).numpy()         # (Bk, Bk)
        new = []
        for j in range(len(blk)):                                 # greedy inside the block
            if not sup[j]:
                new.append(j)
                sup[j + 1:] |= within[j, j + 1:]
        keep += [start + j for j in new]
        kept_boxes = torch.cat([kept_boxes, blk[new]])
    return order[torch.tensor(keep, dtype=torch.long)] if keep else order[:0]


def _iou(a: Tensor, b: Tensor) -> Tensor:
    """(N, M) IoU of xyxy boxes (no validation: callers have checked)."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))


@syllabus("vision.nms")
def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float = 0.5) -> Tensor:
    """NMS within each class ``idxs``; indices of the kept boxes by decreasing score."""
    boxes = check_boxes(boxes)
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.long)
    # offset each class into its own region so boxes of different classes never overlap
    offsets = idxs.to(boxes) * (boxes.max() - boxes.min() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


@syllabus("vision.nms")
def score_threshold(scores: Tensor, conf_threshold: float) -> Tensor:
    """Indices with score >= conf_threshold."""
    return torch.nonzero(scores >= conf_threshold).flatten()


def postprocess_detections(boxes: Tensor, scores: Tensor, labels: Tensor, conf_threshold: float = 0.05,
                           iou_threshold: float = 0.5, max_detections: int = 100) -> tuple[Tensor, Tensor, Tensor]:
    """Threshold then per-class NMS: (boxes, scores, labels) of the survivors."""
    keep = score_threshold(scores, conf_threshold)
    boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    keep = batched_nms(boxes, scores, labels, iou_threshold)[:max_detections]
    return boxes[keep], scores[keep], labels[keep]
