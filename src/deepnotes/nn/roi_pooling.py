"""RoI (region of interest) max pooling: a fixed k x k feature grid from any box.

Syllabus: vision.roi_pool. Notes: 002 §5.2n.

The box (x1, y1, x2, y2), in image coordinates, is scaled by ``spatial_scale`` onto the feature
map and rounded to whole cells (the quantisation that RoIAlign later removed):
x1' = round(x1 s), x2' = round(x2 s), width w = max(x2' - x1' + 1, 1). The box is cut into
k x k bins, bin p spanning [floor(p w / k), ceil((p + 1) w / k)) cells from x1', and each bin is
max-pooled (empty bins give 0). The semantics are torchvision.ops.roi_pool's.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
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
def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0, fast: bool = True) -> Tensor:
    """(B, C, H, W) features and K boxes -> (K, C, kh, kw).

    ``boxes`` is a (K, 5) tensor of (batch index, x1, y1, x2, y2) or a list of (K_i, 4) tensors.
    ``fast=True`` gathers every bin's cells at once (padded to the largest bin by repeating a
    bin's last cell) and takes their max; ``fast=False`` masks the whole map per bin (the definition).
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
    K = len(rois)
    if K == 0:
        return input.new_zeros(0, C, kh, kw)
    q = torch.floor(rois[:, 1:].double() * spatial_scale + 0.5).long()       # (K, 4) quantised corners
    xs, ys, xe, ye = q.unbind(1)
    rw, rh = (xe - xs + 1).clamp(min=1), (ye - ys + 1).clamp(min=1)         # (K,)
    # bin p spans [floor(p * rh / kh), ceil((p + 1) * rh / kh)) rows from ys, clipped to the map
    p, qq = torch.arange(kh), torch.arange(kw)
    h0 = (torch.floor(p[None] * rh[:, None] / kh).long() + ys[:, None]).clamp(0, H)        # (K, kh)
    h1 = (torch.ceil((p[None] + 1) * rh[:, None] / kh).long() + ys[:, None]).clamp(0, H)
    w0 = (torch.floor(qq[None] * rw[:, None] / kw).long() + xs[:, None]).clamp(0, W)      # (K, kw)
    w1 = (torch.ceil((qq[None] + 1) * rw[:, None] / kw).long() + xs[:, None]).clamp(0, W)
    if fast:
        # gather each bin's cells, padded to the largest bin of the RoI's group by repeating the bin's
        # last cell (which leaves the max unchanged); RoIs are grouped by that size so one large RoI
        # does not pad all the others
        table = input.permute(0, 2, 3, 1).reshape(B * H * W, C)             # (B H W, C) one row per cell
        bh, bw = (h1 - h0).amax(1).clamp(min=1), (w1 - w0).amax(1).clamp(min=1)   # (K,) largest bin
        out = input.new_empty(K, kh, kw, C)
        key = bh * (W + 1) + bw                                              # (K,) one value per (Lh, Lw)
        for k in key.unique().tolist():
            g = torch.nonzero(key == k).flatten()                            # (G,)
            Lh, Lw = divmod(k, W + 1)
            ri = torch.minimum(h0[g, :, None] + torch.arange(Lh), (h1[g] - 1).clamp(min=0)[..., None])  # (G, kh, Lh)
            ci = torch.minimum(w0[g, :, None] + torch.arange(Lw), (w1[g] - 1).clamp(min=0)[..., None])  # (G, kw, Lw)
            flat = (rois[g, 0].long()[:, None, None, None, None] * H + ri[:, :, None, :, None]) * W \
                + ci[:, None, :, None, :]                                    # (G, kh, kw, Lh, Lw)
            cells = table.index_select(0, flat.reshape(-1)).view(len(g), kh, kw, Lh * Lw, C)
            out[g] = cells.amax(3)                                           # (G, kh, kw, C)
    else:
        rows, cols = torch.arange(H), torch.arange(W)
        row_in = (rows >= h0[..., None]) & (rows < h1[..., None])             # (K, kh, H)
        col_in = (cols >= w0[..., None]) & (cols < w1[..., None])             # (K, kw, W)
        feats = input[rois[:, 0].long()]                                     # (K, C, H, W)
        neg = torch.finfo(input.dtype).min
        # max over the columns of each column-bin, then over the rows of each row-bin
        by_col = feats[:, None].masked_fill(~col_in[:, :, None, None, :], neg).amax(-1)    # (K, kw, C, H)
        out = by_col[:, None].masked_fill(~row_in[:, :, None, None, :], neg).amax(-1)      # (K, kh, kw, C)
    empty = (h1 <= h0)[:, :, None] | (w1 <= w0)[:, None, :]                  # (K, kh, kw)
    if bool(empty.any()):
        out = out.masked_fill(empty[..., None], 0.0)
    return out.permute(0, 3, 1, 2).contiguous()                              # (K, C, kh, kw)


@syllabus("vision.roi_pool")
class RoIPool(nn.Module):
    """torchvision.ops.RoIPool's interface."""

    def __init__(self, output_size, spatial_scale: float, fast: bool = True):
        super().__init__()
        self.output_size, self.spatial_scale, self.fast = output_size, spatial_scale, fast

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale, self.fast)
