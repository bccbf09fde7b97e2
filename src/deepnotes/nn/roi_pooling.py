"""RoI (region of interest) max pooling: a fixed k x k feature grid from any box.

Syllabus: vision.roi_pool. Notes: 002 §5.2n.

The box (x1, y1, x2, y2), in image coordinates, is scaled by ``spatial_scale`` onto the feature
map and rounded to whole cells (the quantisation that RoIAlign later removed):
x1' = round(x1 s), x2' = round(x2 s), width w = max(x2' - x1' + 1, 1). The box is cut into
k x k bins, bin p spanning [floor(p w / k), ceil((p + 1) w / k)) cells from x1', and each bin is
max-pooled (empty bins give 0). The semantics are torchvision.ops.roi_pool's.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from .conv import _tuple

__all__ = ["roi_pool", "RoIPool"]


def _as_rois(boxes) -> Tensor:
    if isinstance(boxes, (list, tuple)):
        rows = [torch.cat([torch.full((len(b), 1), float(i), dtype=b.dtype, device=b.device), b], 1)
                for i, b in enumerate(boxes)]
        return torch.cat(rows) if rows else torch.zeros(0, 5)
    return boxes


@syllabus("vision.roi_pool")
def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """(B, C, H, W) features and K boxes -> (K, C, kh, kw).

    ``boxes`` is a (K, 5) tensor of (batch index, x1, y1, x2, y2) or a list of (K_i, 4) tensors.
    """
    expect(input.dim() == 4, "input", "a 4-D tensor (B, C, H, W)", tuple(input.shape))
    rois = _as_rois(boxes)
    expect(rois.dim() == 2 and rois.shape[1] == 5, "boxes", "a (K, 5) tensor or a list of (K_i, 4) tensors",
           tuple(rois.shape))
    if len(rois):
        expect(bool((rois[:, 3] >= rois[:, 1]).all() and (rois[:, 4] >= rois[:, 2]).all()), "boxes",
               "x2 >= x1 and y2 >= y1", rois[(rois[:, 3] < rois[:, 1]) | (rois[:, 4] < rois[:, 2])][:1].tolist())
    kh, kw = _tuple(output_size, 2, "output_size")
    B, C, H, W = input.shape
    out = input.new_zeros(len(rois), C, kh, kw)                  # (K, C, kh, kw)
    for r, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        xs, ys = math.floor(x1 * spatial_scale + 0.5), math.floor(y1 * spatial_scale + 0.5)
        xe, ye = math.floor(x2 * spatial_scale + 0.5), math.floor(y2 * spatial_scale + 0.5)
        rw, rh = max(xe - xs + 1, 1), max(ye - ys + 1, 1)
        for p in range(kh):
            h0 = min(max(math.floor(p * rh / kh) + ys, 0), H)
            h1 = min(max(math.ceil((p + 1) * rh / kh) + ys, 0), H)
            for q in range(kw):
                w0 = min(max(math.floor(q * rw / kw) + xs, 0), W)
                w1 = min(max(math.ceil((q + 1) * rw / kw) + xs, 0), W)
                if h1 > h0 and w1 > w0:
                    out[r, :, p, q] = input[int(b), :, h0:h1, w0:w1].amax(dim=(-2, -1))
    return out


@syllabus("vision.roi_pool")
class RoIPool(nn.Module):
    """torchvision.ops.RoIPool's interface."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)
