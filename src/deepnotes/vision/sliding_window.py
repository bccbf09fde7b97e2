"""Multi-scale, multi-aspect sliding windows and OverFeat-style box merging.

Syllabus: vision.sliding_window. Notes: 002 §5.2e, §5.2f, §5.2i.

Slide an h x w window with stride s over the image rescaled by each factor in ``scales`` (1, 1/2,
1/3, ...) so that larger objects fit the window at smaller scales; per scale the count is

    (floor((round(H * scale) - h) / s) + 1) * (floor((round(W * scale) - w) / s) + 1)

and each window maps back to a box of size (h, w) / scale in the original image. OverFeat then
regresses a box per window and merges the overlapping boxes of a class into their average
weighted by class probability, instead of keeping only the best one.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .boxes import box_iou

__all__ = ["num_windows", "sliding_windows", "overfeat_merge"]


def num_windows(image_size: tuple[int, int], window: tuple[int, int], stride: int, scales=(1.0,)) -> int:
    """The closed-form window count over all scales (windows that do not fit are skipped)."""
    H, W = image_size
    h, w = window
    total = 0
    for sc in scales:
        Hs, Ws = round(H * sc), round(W * sc)
        if Hs >= h and Ws >= w:
            total += ((Hs - h) // stride + 1) * ((Ws - w) // stride + 1)
    return total


@syllabus("vision.sliding_window")
def sliding_windows(image_size: tuple[int, int], window: tuple[int, int], stride: int, scales=(1.0,),
                    aspect_ratios=(1.0,)) -> tuple[Tensor, Tensor]:
    """(boxes (K, 4) xyxy in original-image pixels, scale index (K,)) for every window.

    ``aspect_ratios`` r reshape the window to (h * sqrt(r), w / sqrt(r)) (rounded).
    """
    expect(stride >= 1, "stride", "a positive int", stride)
    H, W = image_size
    boxes, which = [], []
    for si, sc in enumerate(scales):
        expect(sc > 0, "scales", "positive factors", scales)
        Hs, Ws = round(H * sc), round(W * sc)
        for r in aspect_ratios:
            h, w = round(window[0] * r ** 0.5), round(window[1] / r ** 0.5)
            if Hs < h or Ws < w:
                continue
            ys = torch.arange(0, Hs - h + 1, stride, dtype=torch.float32)
            xs = torch.arange(0, Ws - w + 1, stride, dtype=torch.float32)
            yy, xx = torch.meshgrid(ys, xs, indexing="ij")
            b = torch.stack([xx, yy, xx + w, yy + h], -1).reshape(-1, 4) / sc
            boxes.append(b)
            which.append(torch.full((len(b),), si))
    if not boxes:
        return torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
    return torch.cat(boxes), torch.cat(which)


@syllabus("vision.sliding_window")
def overfeat_merge(boxes: Tensor, scores: Tensor, iou_threshold: float = 0.3, score_threshold: float = 0.5) -> tuple[Tensor, Tensor]:
    """Greedy merge: around the best remaining box, average every box with IoU > threshold weighted by score."""
    keep = scores >= score_threshold
    boxes, scores = boxes[keep], scores[keep]
    merged, merged_scores = [], []
    alive = torch.ones(len(boxes), dtype=torch.bool)
    order = torch.argsort(scores, descending=True)
    iou = box_iou(boxes, boxes) if len(boxes) else None
    for i in order.tolist():
        if not alive[i]:
            continue
        group = alive & (iou[i] > iou_threshold)
        group[i] = True
        w = scores[group]
        merged.append((boxes[group] * w[:, None]).sum(0) / w.sum())
        merged_scores.append(w.sum())
        alive &= ~group
    if not merged:
        return torch.zeros(0, 4), torch.zeros(0)
    return torch.stack(merged), torch.stack(merged_scores)
