"""YOLOv2/v3 box decoding: sigmoid offsets inside the cell, exponential scaling of an anchor prior.

Syllabus: vision.yolo_box_decoding. Notes: 001 S13.22, S13.23.

    b_x = c_x + sigmoid(t_x)      b_y = c_y + sigmoid(t_y)
    b_w = p_w exp(t_w)            b_h = p_h exp(t_h)

(c_x, c_y) is the top-left corner of the cell in grid units (001 calls them "anchor
dimensions"; those are (p_w, p_h)), so the centre cannot leave its cell, and t_w = 0 returns the
anchor's width. Multiply by the stride to get pixels.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["decode_yolo_grid"]


@syllabus("vision.yolo_box_decoding")
def decode_yolo_grid(t: Tensor, anchors: Tensor, stride: float = 1.0) -> Tensor:
    """(N, A, H, W, 4) raw (t_x, t_y, t_w, t_h) and (A, 2) anchor (p_w, p_h) in grid units ->
    (N, A, H, W, 4) (b_x, b_y, b_w, b_h) centre boxes, times ``stride``."""
    expect(t.dim() == 5 and t.shape[-1] == 4, "t", "an (N, A, H, W, 4) tensor", tuple(t.shape))
    expect(anchors.shape == (t.shape[1], 2), "anchors", f"an ({t.shape[1]}, 2) tensor", tuple(anchors.shape))
    H, W = t.shape[2:4]
    cy, cx = torch.meshgrid(torch.arange(H, dtype=t.dtype), torch.arange(W, dtype=t.dtype), indexing="ij")
    bx = cx + torch.sigmoid(t[..., 0])                          # (N, A, H, W)
    by = cy + torch.sigmoid(t[..., 1])
    bw = anchors[:, 0].view(1, -1, 1, 1).to(t) * torch.exp(t[..., 2])
    bh = anchors[:, 1].view(1, -1, 1, 1).to(t) * torch.exp(t[..., 3])
    return torch.stack([bx, by, bw, bh], -1) * stride
