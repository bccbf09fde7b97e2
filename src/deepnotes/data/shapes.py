"""Synthetic shapes: RGB images of circles, squares and triangles with boxes and masks.

Syllabus: vision.synthetic_shapes_data. Notes: 001 S1.03, S12.01, S13.01, S13.07-S13.08 and
002 §5.2a use PASCAL VOC / COCO; this seeded generator stands in for them offline.

Each image (3, H, W) has a plain dark background and 1-5 shapes of random class (uniform over
circle, square, triangle), size, colour and position, painted in full inside the frame; their
bounding squares stay 2 pixels apart, so instances never touch or occlude one another. A pixel (row i, column j) belongs to a shape when its centre (j + 1/2, i + 1/2)
falls inside it:

    circle    (px - cx)^2 + (py - cy)^2 <= r^2
    square    |px - cx| <= s/2 and |py - cy| <= s/2
    triangle  on the inner side of all three edges (apex up)

Targets follow torchvision's detection convention: ``boxes`` (K, 4) float32 (x1, y1, x2, y2)
in pixels, the tightest box around the instance mask with x2, y2 exclusive (the box covers
columns x1 <= j < x2), ``labels`` (K,) class ids 0 circle / 1 square / 2 triangle,
``masks`` (K, H, W) bool, and ``semantic`` (H, W) long with 0 background and 1 + class id.
Notes' errata: 001 S13.01 says detection has no loss for end-to-end training; it has (YOLO's).
"""
from __future__ import annotations

import torch
from torch.utils.data import Dataset

from ..core import expect, syllabus
from ._seed import check_count, split_generator
from .registry import register_dataset

__all__ = ["SHAPE_CLASSES", "ShapesDataset", "make_shapes", "shapes_collate", "masks_to_boxes_exclusive"]

SHAPE_CLASSES = ("circle", "square", "triangle")
_TRIES = 64  # candidate placements drawn at once per shape


def masks_to_boxes_exclusive(masks: torch.Tensor) -> torch.Tensor:
    """Tight boxes (K, 4) = (x1, y1, x2, y2), x2/y2 exclusive, of non-empty masks (K, H, W)."""
    k, h, w = masks.shape
    cols = masks.any(1)                                                        # (K, W)
    rows = masks.any(2)                                                        # (K, H)
    ar_w, ar_h = torch.arange(w), torch.arange(h)
    x1 = torch.where(cols, ar_w, w).min(1).values
    x2 = torch.where(cols, ar_w, -1).max(1).values + 1
    y1 = torch.where(rows, ar_h, h).min(1).values
    y2 = torch.where(rows, ar_h, -1).max(1).values + 1
    return torch.stack([x1, y1, x2, y2], 1).float()                           # (K, 4)


def _raster(cls: int, cx: torch.Tensor, cy: torch.Tensor, s: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Mask (H, W) of one shape of class ``cls``, centre (cx, cy), size s, on pixel centres (px, py)."""
    half = s / 2
    dx, dy = px - cx, py - cy                                                  # (H, W)
    if cls == 0:
        return dx ** 2 + dy ** 2 <= half ** 2
    if cls == 1:
        return (dx.abs() <= half) & (dy.abs() <= half)
    # apex (cx, cy - h), base corners (cx -/+ h, cy + h): below both slanted edges and above the base
    return (dy + half >= 2 * dx.abs()) & (dy <= half)


@syllabus("vision.synthetic_shapes_data")
def make_shapes(n: int, size: int = 64, min_shapes: int = 1, max_shapes: int = 5,
                min_scale: float = 0.15, max_scale: float = 0.35, noise: float = 0.02,
                generator: torch.Generator | None = None) -> dict:
    """Generate ``n`` images: {'images': (N, 3, H, W) float32 in [0, 1], 'semantic': (N, H, W),
    'boxes', 'labels', 'masks': lists of per-image (K, 4), (K,), (K, H, W)}.

    Shape sizes are uniform in [min_scale, max_scale] * size. A shape that finds no free place
    among 64 random placements is dropped (rare with the defaults), so K can fall below the draw;
    the first shape always fits, so every image has at least one.
    """
    check_count(n, "n")
    check_count(size, "size", 16)       # from 16 pixels up every shape covers a pixel centre
    check_count(min_shapes, "min_shapes", 1)
    expect(isinstance(max_shapes, int) and min_shapes <= max_shapes <= 10, "max_shapes",
           f"an int in [min_shapes={min_shapes}, 10]", max_shapes)
    expect(0 < min_scale <= max_scale < 1, "min_scale/max_scale", "0 < min_scale <= max_scale < 1",
           (min_scale, max_scale))
    expect(noise >= 0, "noise", "a non-negative float", noise)
    g = generator
    ar = torch.arange(size, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(ar, ar, indexing="ij")                              # (H, W) pixel centres
    rand = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    images, semantic, boxes, labels, masks = [], [], [], [], []
    for _ in range(n):
        bg = 0.2 * rand(3)                                                      # (3,)
        img = bg[:, None, None].expand(3, size, size).clone()                   # (3, H, W)
        sem = torch.zeros(size, size, dtype=torch.long)
        placed: list[torch.Tensor] = []                                         # bounding squares so far
        count = int(torch.randint(min_shapes, max_shapes + 1, (1,), generator=g))
        inst, cls_ids = [], []
        for _ in range(count):
            cls = int(torch.randint(len(SHAPE_CLASSES), (1,), generator=g))
            colour = 0.35 + 0.65 * rand(3)                                      # (3,)
            s = size * (min_scale + (max_scale - min_scale) * rand(_TRIES))    # (C,) candidate placements
            cx, cy = s / 2 + (size - s) * rand(_TRIES), s / 2 + (size - s) * rand(_TRIES)
            sq = torch.stack([cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2], 1)  # (C, 4) bounding squares
            if placed:
                p = torch.stack(placed)                                         # (P, 4)
                apart = ((sq[:, None, 0] >= p[:, 2] + 2) | (sq[:, None, 2] + 2 <= p[:, 0]) |
                         (sq[:, None, 1] >= p[:, 3] + 2) | (sq[:, None, 3] + 2 <= p[:, 1]))  # (C, P)
                ok = apart.all(1)
            else:
                ok = torch.ones(_TRIES, dtype=torch.bool)
            if not ok.any():
                continue
            j = int(ok.nonzero()[0])                                            # first candidate that fits
            m = _raster(cls, cx[j], cy[j], s[j], px, py)                        # (H, W) bool
            if not m.any():
                continue
            placed.append(sq[j])
            img[:, m] = colour[:, None]
            sem[m] = cls + 1
            inst.append(m)
            cls_ids.append(cls)
        if noise:
            img = (img + noise * torch.randn(img.shape, generator=g)).clamp(0, 1)
        mk = torch.stack(inst) if inst else torch.zeros(0, size, size, dtype=torch.bool)
        images.append(img)
        semantic.append(sem)
        masks.append(mk)
        labels.append(torch.tensor(cls_ids, dtype=torch.long))
        boxes.append(masks_to_boxes_exclusive(mk) if len(mk) else torch.zeros(0, 4))
    return {"images": torch.stack(images), "semantic": torch.stack(semantic),
            "boxes": boxes, "labels": labels, "masks": masks}


class ShapesDataset(Dataset):
    """Items are (image (3, H, W), target {'boxes', 'labels', 'masks', 'semantic'})."""

    def __init__(self, n: int = 1000, size: int = 64, min_shapes: int = 1, max_shapes: int = 5,
                 seed: int = 0, split: str = "train", **options):
        self.data = make_shapes(n, size, min_shapes, max_shapes, generator=split_generator(seed, split), **options)

    def __len__(self) -> int:
        return len(self.data["images"])

    def __getitem__(self, i: int):
        d = self.data
        return d["images"][i], {"boxes": d["boxes"][i], "labels": d["labels"][i], "masks": d["masks"][i],
                                "semantic": d["semantic"][i]}


def shapes_collate(batch: list) -> tuple[torch.Tensor, list[dict]]:
    """DataLoader collate: stacked images (B, 3, H, W) and the list of target dicts."""
    return torch.stack([b[0] for b in batch]), [b[1] for b in batch]


@register_dataset("shapes", description="synthetic RGB images of 1-5 circles/squares/triangles with boxes and masks",
                  tags=("image", "detection", "segmentation"))
def load_shapes(split: str = "train", n: int = 1000, size: int = 64, min_shapes: int = 1, max_shapes: int = 5,
                seed: int = 0, **options) -> ShapesDataset:
    """A :class:`ShapesDataset`; use ``shapes_collate`` in a DataLoader (variable box counts)."""
    return ShapesDataset(n, size, min_shapes, max_shapes, seed=seed, split=split, **options)
