"""Selective search region proposals (Uijlings et al. 2013), on top of Felzenszwalb's segmentation.

Syllabus: vision.selective_search. Notes: 001 S13.10; 002 §5.2l.

1. Over-segment the image with Felzenszwalb & Huttenlocher's graph-based method
   (skimage.segmentation.felzenszwalb), at several scales.
2. Repeatedly merge the two most similar ADJACENT regions, with similarity
   s = s_colour + s_size + s_fill (s_texture is left out here):
     s_colour = sum_k min(h_a[k], h_b[k]) over normalised colour histograms,
     s_size   = 1 - (|a| + |b|) / |image|            (merge small regions first),
     s_fill   = 1 - (|BB(a u b)| - |a| - |b|) / |image|  (merge regions that fill each other's gaps).
3. Every region ever formed contributes its bounding box; duplicates are removed and the
   proposals are ordered by hierarchy level (coarser regions later), at most ``max_proposals``.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["selective_search"]


def _regions(seg: np.ndarray, img: np.ndarray, bins: int) -> tuple[dict, set]:
    H, W = seg.shape
    regions = {}
    for r in np.unique(seg):
        ys, xs = np.nonzero(seg == r)
        hist = np.concatenate([np.histogram(img[ys, xs, c], bins=bins, range=(0.0, 1.0))[0] for c in range(3)]).astype(float)
        regions[int(r)] = {"box": [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], "size": len(xs),
                           "hist": hist / max(hist.sum(), 1)}
    pairs = set()
    for a, b in ((seg[:, :-1], seg[:, 1:]), (seg[:-1, :], seg[1:, :])):
        diff = a != b
        for u, v in zip(a[diff].tolist(), b[diff].tolist()):
            pairs.add((min(u, v), max(u, v)))
    return regions, pairs


def _similarity(a: dict, b: dict, image_size: int) -> float:
    colour = float(np.minimum(a["hist"], b["hist"]).sum())
    size = 1.0 - (a["size"] + b["size"]) / image_size
    bb = [min(a["box"][0], b["box"][0]), min(a["box"][1], b["box"][1]),
          max(a["box"][2], b["box"][2]), max(a["box"][3], b["box"][3])]
    fill = 1.0 - ((bb[2] - bb[0]) * (bb[3] - bb[1]) - a["size"] - b["size"]) / image_size
    return colour + size + fill


def _hierarchy(seg: np.ndarray, img: np.ndarray, bins: int) -> list[list[int]]:
    regions, pairs = _regions(seg, img, bins)
    n_pix = seg.size
    sims = {p: _similarity(regions[p[0]], regions[p[1]], n_pix) for p in pairs}
    boxes = [r["box"] for r in regions.values()]
    next_id = max(regions) + 1 if regions else 0
    while sims:
        a, b = max(sims, key=sims.get)
        ra, rb = regions[a], regions[b]
        new = {"box": [min(ra["box"][0], rb["box"][0]), min(ra["box"][1], rb["box"][1]),
                       max(ra["box"][2], rb["box"][2]), max(ra["box"][3], rb["box"][3])],
               "size": ra["size"] + rb["size"],
               "hist": (ra["hist"] * ra["size"] + rb["hist"] * rb["size"]) / (ra["size"] + rb["size"])}
        regions[next_id] = new
        boxes.append(new["box"])
        neighbours = set()
        for p in [p for p in sims if a in p or b in p]:
            del sims[p]
            neighbours |= set(p) - {a, b}
        for nb in neighbours:
            sims[(nb, next_id)] = _similarity(regions[nb], new, n_pix)
        next_id += 1
    return boxes


@syllabus("vision.selective_search")
def selective_search(image, scales=(50, 150, 400), sigma: float = 0.8, min_size: int = 10, bins: int = 25,
                     max_proposals: int = 500) -> Tensor:
    """(K, 4) xyxy proposals (pixels) for an RGB image given as (3, H, W) tensor or (H, W, 3) array in [0, 1]."""
    from skimage.segmentation import felzenszwalb

    if isinstance(image, torch.Tensor):
        expect(image.dim() == 3 and image.shape[0] == 3, "image", "an RGB image (3, H, W) tensor or (H, W, 3) array",
               tuple(image.shape))
        image = image.permute(1, 2, 0).numpy()
    img = np.asarray(image)
    expect(img.ndim == 3 and img.shape[2] == 3, "image", "an RGB image (3, H, W) tensor or (H, W, 3) array",
           tuple(np.shape(image)))
    img = img.astype(np.float64)
    boxes, seen = [], set()
    per_scale = [_hierarchy(felzenszwalb(img, scale=s, sigma=sigma, min_size=min_size), img, bins) for s in scales]
    # interleave the scales so a cut at max_proposals keeps fine and coarse regions of each
    for level in range(max(len(b) for b in per_scale)):
        for b in per_scale:
            if level < len(b):
                key = tuple(int(v) for v in b[level])
                if key not in seen:
                    seen.add(key)
                    boxes.append(key)
    return torch.tensor(boxes[:max_proposals], dtype=torch.float32).reshape(-1, 4)
