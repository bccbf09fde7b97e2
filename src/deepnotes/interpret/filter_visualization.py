"""First-layer filters as small images, and the dataset patches that excite a unit most.

Syllabus: interpretability.first_layer_filters, interpretability.max_activating_patches.
Notes: 002 §5.3a, §5.3b.

Filters: conv1's weight (C_out, C_in, K, K) becomes C_out images (K, K, C_in), each min-max
normalised to [0, 1] on its own (w - min) / (max - min), so the pattern shows whatever its scale.

Top patches: run the network over a dataset, keep the k largest activations a[n, c, i, j] of
channel c, and crop each from image n at its receptive field. For a stack with receptive field
size r, total stride s ("jump") and total padding p, unit (i, j) sees input rows
i*s - p .. i*s - p + r - 1 (and the same for columns); crops are clipped to the image.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["filter_grid", "TopPatches", "max_activating_patches"]


@syllabus("interpretability.first_layer_filters")
def filter_grid(weight: torch.Tensor) -> torch.Tensor:
    """(C_out, C_in, K, K) conv weight -> (C_out, K, K, C_in) images in [0, 1], one normalisation per filter."""
    expect(weight.dim() == 4, "weight", "a conv weight of shape (C_out, C_in, K, K)", tuple(weight.shape))
    w = weight.detach().permute(0, 2, 3, 1)                                     # (C_out, K, K, C_in)
    flat = w.reshape(w.size(0), -1)
    lo, hi = flat.min(1).values, flat.max(1).values
    scale = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
    return (w - lo.view(-1, 1, 1, 1)) / scale.view(-1, 1, 1, 1)


@dataclass
class TopPatches:
    activations: torch.Tensor   # (k,) descending
    positions: torch.Tensor     # (k, 3): image index, row i, column j in the feature map
    boxes: torch.Tensor         # (k, 4): top, left, bottom, right (exclusive) in the input, clipped
    patches: list               # k crops (C, h, w)


@syllabus("interpretability.max_activating_patches")
@torch.no_grad()
def max_activating_patches(features: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, channel: int,
                           k: int = 9, rf_size: int = 1, rf_stride: int = 1, rf_padding: int = 0,
                           batch_size: int = 256) -> TopPatches:
    """The ``k`` strongest activations of ``channel`` of ``features(images)`` (N, C, H', W') and their crops."""
    acts = torch.cat([features(images[s:s + batch_size]) for s in range(0, images.size(0), batch_size)])
    expect(acts.dim() == 4 and 0 <= channel < acts.size(1), "channel",
           f"an index in [0, {acts.size(1)}) of a (N, C, H, W) feature map", channel)
    a = acts[:, channel]                                                        # (N, H', W')
    k = min(k, a.numel())
    top = torch.topk(a.reshape(-1), k)
    n, rem = top.indices // (a.size(1) * a.size(2)), top.indices % (a.size(1) * a.size(2))
    i, j = rem // a.size(2), rem % a.size(2)
    H, W = images.shape[-2:]
    t, l = i * rf_stride - rf_padding, j * rf_stride - rf_padding
    boxes = torch.stack([t.clamp(min=0), l.clamp(min=0), (t + rf_size).clamp(max=H), (l + rf_size).clamp(max=W)], 1)
    patches = [images[int(nn_), :, int(b[0]):int(b[2]), int(b[1]):int(b[3])] for nn_, b in zip(n, boxes)]
    return TopPatches(top.values, torch.stack([n, i, j], 1), boxes, patches)
