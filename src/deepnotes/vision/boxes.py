"""Bounding boxes: formats, normalisation, area, and Intersection over Union (boxes and masks).

Syllabus: vision.bbox_format, vision.iou. Notes: 001 S13.02, S13.03, S13.06, S13.24; 002 §5.2b, §5.2c.

Formats (torchvision's names): 'xyxy' = (x1, y1, x2, y2) corners, 'cxcywh' = centre, width,
height, 'xywh' = top-left corner, width, height. Normalised coordinates divide x by the image
width and y by its height (what YOLO regresses). The predicted box is compared with the
ground-truth ("golden") box by

    IoU(A, B) = |A n B| / |A u B|          1 iff identical, 0 if disjoint

e.g. IoU([0,0,2,2], [1,1,3,3]) = 1 / (4 + 4 - 1) = 1/7. For masks the areas are pixel counts.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["check_boxes", "box_convert", "normalize_boxes", "denormalize_boxes", "box_area", "box_iou",
           "mask_iou", "masks_to_boxes"]

FORMATS = ("xyxy", "cxcywh", "xywh")


def check_boxes(boxes: Tensor, name: str = "boxes") -> Tensor:
    """Validate an (N, 4) xyxy tensor: x2 >= x1 and y2 >= y1."""
    boxes = torch.as_tensor(boxes)
    expect(boxes.dim() == 2 and boxes.shape[-1] == 4, name, "an (N, 4) tensor of (x1, y1, x2, y2)", tuple(boxes.shape))
    bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    expect(not bool(bad.any()), name, "x2 >= x1 and y2 >= y1 for every box", boxes[bad][:3].tolist())
    return boxes


@syllabus("vision.bbox_format")
def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert (..., 4) boxes between 'xyxy', 'cxcywh' and 'xywh'."""
    expect(in_fmt in FORMATS, "in_fmt", f"one of {FORMATS}", in_fmt)
    expect(out_fmt in FORMATS, "out_fmt", f"one of {FORMATS}", out_fmt)
    boxes = torch.as_tensor(boxes)
    expect(boxes.shape[-1] == 4, "boxes", "a (..., 4) tensor", tuple(boxes.shape))
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "cxcywh":
        a, b, c, d = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    elif in_fmt == "xywh":
        c, d = a + c, b + d
    x1, y1, x2, y2 = a, b, c, d
    if out_fmt == "xyxy":
        return torch.stack([x1, y1, x2, y2], -1)
    if out_fmt == "cxcywh":
        return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1)
    return torch.stack([x1, y1, x2 - x1, y2 - y1], -1)


@syllabus("vision.bbox_format")
def normalize_boxes(boxes: Tensor, width: float, height: float) -> Tensor:
    """Divide x coordinates by the image width and y by its height (any of the three formats)."""
    expect(width > 0 and height > 0, "width/height", "positive image size", (width, height))
    return torch.as_tensor(boxes) / torch.tensor([width, height, width, height], dtype=torch.as_tensor(boxes).dtype)


def denormalize_boxes(boxes: Tensor, width: float, height: float) -> Tensor:
    return torch.as_tensor(boxes) * torch.tensor([width, height, width, height], dtype=torch.as_tensor(boxes).dtype)


def box_area(boxes: Tensor) -> Tensor:
    """(N,) areas of (N, 4) xyxy boxes."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


@syllabus("vision.iou")
def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """(N, M) pairwise IoU of xyxy boxes."""
    boxes1, boxes2 = check_boxes(boxes1, "boxes1"), check_boxes(boxes2, "boxes2")
    lt = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])   # (N, M, 2) top-left of the intersection
    rb = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])   # (N, M, 2) bottom-right
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]                                # (N, M)
    union = box_area(boxes1)[:, None] + box_area(boxes2)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))


@syllabus("vision.iou")
def mask_iou(masks1: Tensor, masks2: Tensor) -> Tensor:
    """(N, M) IoU of binary masks (N, H, W) and (M, H, W)."""
    m1, m2 = torch.as_tensor(masks1).bool(), torch.as_tensor(masks2).bool()
    expect(m1.dim() == 3 and m2.dim() == 3 and m1.shape[1:] == m2.shape[1:], "masks",
           "(N, H, W) and (M, H, W) masks of the same size", (tuple(m1.shape), tuple(m2.shape)))
    a, b = m1.flatten(1).double(), m2.flatten(1).double()
    inter = a @ b.T                                                # (N, M)
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(inter))


def masks_to_boxes(masks: Tensor) -> Tensor:
    """(N, 4) tight xyxy boxes (pixel edges: x2 = last column + 1) of (N, H, W) masks."""
    masks = torch.as_tensor(masks).bool()
    out = torch.zeros(len(masks), 4)
    for i, m in enumerate(masks):
        ys, xs = torch.nonzero(m, as_tuple=True)
        if len(xs):
            out[i] = torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32)
    return out
