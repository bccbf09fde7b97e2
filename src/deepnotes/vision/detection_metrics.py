"""Detection average precision at IoU 0.5 (PASCAL VOC all-points, and COCO-style 101 points).

Syllabus: vision.average_precision. Notes: 002 §5.2d; 001 S13.06 (the notes give only the
"correct if IoU > 0.5" rule; AP is the standard summary).

Per class, over all images: sort detections by score; a detection is a true positive if its best
IoU with a not-yet-matched ground-truth box of the same image is >= 0.5 (that box is then
matched), otherwise a false positive. Precision and recall after each detection trace the PR
curve. VOC AP makes precision monotone (p(r) = max precision at recall >= r) and sums the area
under it at every recall step; the 101-point variant averages that envelope at r = 0, 0.01, ..., 1.
mAP is the mean over classes that have ground truth.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .boxes import box_iou

__all__ = ["match_detections", "average_precision", "mean_average_precision"]


def match_detections(det_boxes: list[Tensor], det_scores: list[Tensor], gt_boxes: list[Tensor],
                     iou_threshold: float = 0.5) -> tuple[Tensor, Tensor, int]:
    """Greedy matching over images: (scores, is_true_positive) sorted by score, and the number of GT boxes."""
    expect(len(det_boxes) == len(det_scores) == len(gt_boxes), "det_boxes/det_scores/gt_boxes",
           "one entry per image in each", (len(det_boxes), len(det_scores), len(gt_boxes)))
    entries = []                                                  # (score, image, det index)
    for img, s in enumerate(det_scores):
        entries += [(float(v), img, j) for j, v in enumerate(torch.as_tensor(s).flatten())]
    entries.sort(key=lambda e: -e[0])
    matched = [torch.zeros(len(g), dtype=torch.bool) for g in gt_boxes]
    ious = [box_iou(torch.as_tensor(d).reshape(-1, 4), torch.as_tensor(g).reshape(-1, 4)) if len(g) and len(d) else None
            for d, g in zip(det_boxes, gt_boxes)]
    tp = torch.zeros(len(entries), dtype=torch.bool)
    for n, (_, img, j) in enumerate(entries):
        if ious[img] is None:
            continue
        cand = ious[img][j].clone()
        cand[matched[img]] = -1                                   # each GT box matches once
        best = int(cand.argmax())
        if cand[best] >= iou_threshold:
            tp[n], matched[img][best] = True, True
    scores = torch.tensor([e[0] for e in entries])
    return scores, tp, sum(len(g) for g in gt_boxes)


@syllabus("vision.average_precision")
def average_precision(det_boxes: list[Tensor], det_scores: list[Tensor], gt_boxes: list[Tensor],
                      iou_threshold: float = 0.5, method: str = "voc") -> float:
    """AP of one class: ``method='voc'`` (all points) or ``'coco101'`` (101 recall points)."""
    expect(method in ("voc", "coco101"), "method", "'voc' or 'coco101'", method)
    _, tp, n_gt = match_detections(det_boxes, det_scores, gt_boxes, iou_threshold)
    if n_gt == 0:
        return float("nan")
    ctp = torch.cumsum(tp.double(), 0)
    precision = ctp / torch.arange(1, len(tp) + 1, dtype=torch.float64)
    recall = ctp / n_gt
    # monotone envelope: p(r) = max precision at any recall >= r
    envelope = torch.flip(torch.cummax(torch.flip(precision, [0]), 0).values, [0])
    if method == "voc":
        r = torch.cat([torch.zeros(1, dtype=torch.float64), recall])
        return float(((r[1:] - r[:-1]) * envelope).sum())
    points = torch.linspace(0, 1, 101, dtype=torch.float64)
    total = 0.0
    for p in points:
        idx = torch.nonzero(recall >= p - 1e-12)
        total += float(envelope[idx[0, 0]]) if len(idx) else 0.0
    return total / 101


@syllabus("vision.average_precision")
def mean_average_precision(det_boxes: list[Tensor], det_scores: list[Tensor], det_labels: list[Tensor],
                           gt_boxes: list[Tensor], gt_labels: list[Tensor], num_classes: int,
                           iou_threshold: float = 0.5, method: str = "voc") -> dict:
    """{'map': mean over classes with ground truth, 'ap': per-class list (NaN without ground truth)}."""
    aps = []
    for c in range(num_classes):
        db = [torch.as_tensor(b).reshape(-1, 4)[torch.as_tensor(l) == c] for b, l in zip(det_boxes, det_labels)]
        ds = [torch.as_tensor(s)[torch.as_tensor(l) == c] for s, l in zip(det_scores, det_labels)]
        gb = [torch.as_tensor(b).reshape(-1, 4)[torch.as_tensor(l) == c] for b, l in zip(gt_boxes, gt_labels)]
        aps.append(average_precision(db, ds, gb, iou_threshold, method))
    valid = [a for a in aps if a == a]
    return {"map": sum(valid) / len(valid) if valid else float("nan"), "ap": aps}
