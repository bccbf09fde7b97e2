"""Anchor boxes and the log-space offset encoding of a box relative to an anchor.

Syllabus: vision.anchor_boxes. Notes: 001 S13.04.

At every cell (i, j) of an H x W feature map with stride s, A = len(scales) * len(ratios) anchors
are centred at ((j + 0.5) s, (i + 0.5) s) with area scale^2 and aspect ratio h / w = ratio:
H W A anchors in all. A box (x, y, w, h) (centre format) is regressed as offsets from its anchor

    t_x = (x - x_a) / w_a,  t_y = (y - y_a) / h_a,  t_w = log(w / w_a),  t_h = log(h / h_a)

and decoded by inverting these exactly (optionally divided by per-coordinate weights).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus
from .boxes import box_convert

__all__ = ["make_anchors", "encode_boxes", "decode_boxes"]


@syllabus("vision.anchor_boxes")
def make_anchors(feature_size: tuple[int, int], stride: float | tuple[float, float], scales=(32.0,),
                 ratios=(0.5, 1.0, 2.0)) -> Tensor:
    """(H * W * A, 4) xyxy anchors, cell-major (all A anchors of cell (0, 0) first).

    ``stride`` is one number, or (stride_y, stride_x) when the map's cells are not square in pixels.
    """
    H, W = feature_size
    expect(H > 0 and W > 0, "feature_size", "positive (H, W)", feature_size)
    sy, sx = (stride, stride) if isinstance(stride, (int, float)) else stride
    expect(sy > 0 and sx > 0, "stride", "a positive number or a pair (stride_y, stride_x)", stride)
    wh = []
    for s in scales:
        for r in ratios:
            expect(r > 0 and s > 0, "scales/ratios", "positive values", (s, r))
            wh.append((s / math.sqrt(r), s * math.sqrt(r)))          # area s^2, h / w = r
    wh = torch.tensor(wh)                                            # (A, 2)
    ys, xs = torch.meshgrid((torch.arange(H) + 0.5) * sy, (torch.arange(W) + 0.5) * sx, indexing="ij")
    centres = torch.stack([xs, ys], -1).reshape(-1, 1, 2)            # (H*W, 1, 2)
    boxes = torch.cat([centres.expand(-1, len(wh), 2), wh[None].expand(H * W, -1, 2)], -1)  # (H*W, A, 4) cxcywh
    return box_convert(boxes.reshape(-1, 4), "cxcywh", "xyxy")


@syllabus("vision.anchor_boxes")
def encode_boxes(boxes: Tensor, anchors: Tensor, weights=(1.0, 1.0, 1.0, 1.0)) -> Tensor:
    """(N, 4) targets (t_x, t_y, t_w, t_h) of xyxy ``boxes`` relative to xyxy ``anchors``."""
    expect(boxes.shape == anchors.shape, "boxes", f"the anchors' shape {tuple(anchors.shape)}", tuple(boxes.shape))
    b, a = box_convert(boxes, "xyxy", "cxcywh"), box_convert(anchors, "xyxy", "cxcywh")
    wx, wy, ww, wh = weights
    return torch.stack([wx * (b[:, 0] - a[:, 0]) / a[:, 2], wy * (b[:, 1] - a[:, 1]) / a[:, 3],
                        ww * torch.log(b[:, 2] / a[:, 2]), wh * torch.log(b[:, 3] / a[:, 3])], -1)


@syllabus("vision.anchor_boxes")
def decode_boxes(deltas: Tensor, anchors: Tensor, weights=(1.0, 1.0, 1.0, 1.0), clamp: float = math.log(1000 / 16)) -> Tensor:
    """Invert :func:`encode_boxes`: xyxy boxes from offsets (t_w, t_h clamped against overflow)."""
    a = box_convert(anchors, "xyxy", "cxcywh")
    wx, wy, ww, wh = weights
    cx = deltas[:, 0] / wx * a[:, 2] + a[:, 0]
    cy = deltas[:, 1] / wy * a[:, 3] + a[:, 1]
    w = torch.exp((deltas[:, 2] / ww).clamp(max=clamp)) * a[:, 2]
    h = torch.exp((deltas[:, 3] / wh).clamp(max=clamp)) * a[:, 3]
    return box_convert(torch.stack([cx, cy, w, h], -1), "cxcywh", "xyxy")
