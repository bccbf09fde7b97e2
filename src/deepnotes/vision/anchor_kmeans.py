"""Choosing anchor shapes by k-means on ground-truth (w, h) with the distance d = 1 - IoU.

Syllabus: vision.anchor_kmeans. Notes: 001 S13.05.

Boxes are compared as if they shared a centre, so IoU depends only on the shapes:
IoU((w, h), (w', h')) = min(w, w') min(h, h') / (w h + w' h' - min(w, w') min(h, h')). Lloyd's
iterations (k-means++ seeding) assign each box to the centroid of largest IoU and move each centroid to the median
(YOLOv2) of its boxes. Euclidean k-means on (w, h) over-weights large boxes; 1 - IoU does not.
YOLOv3 uses k = 9 (three per scale).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["wh_iou", "kmeans_anchors", "mean_best_iou"]


def wh_iou(wh1: Tensor, wh2: Tensor) -> Tensor:
    """(N, K) IoU of centred boxes given as (w, h)."""
    inter = torch.minimum(wh1[:, None, 0], wh2[None, :, 0]) * torch.minimum(wh1[:, None, 1], wh2[None, :, 1])
    return inter / (wh1[:, None].prod(-1) + wh2[None].prod(-1) - inter)


@syllabus("vision.anchor_kmeans")
def kmeans_anchors(wh: Tensor, k: int = 9, iters: int = 100, seed: int = 0, metric: str = "iou") -> Tensor:
    """(k, 2) anchor shapes sorted by area; ``metric='euclidean'`` gives plain k-means for comparison."""
    wh = torch.as_tensor(wh, dtype=torch.float64)
    expect(wh.dim() == 2 and wh.shape[1] == 2 and bool((wh > 0).all()), "wh", "an (N, 2) tensor of positive (w, h)",
           tuple(wh.shape))
    expect(1 <= k <= len(wh), "k", f"between 1 and the number of boxes {len(wh)}", k)
    expect(metric in ("iou", "euclidean"), "metric", "'iou' or 'euclidean'", metric)
    g = torch.Generator().manual_seed(seed)
    # k-means++ seeding: each next centroid drawn with probability proportional to its squared distance
    dist = (lambda a, c: 1 - wh_iou(a, c)) if metric == "iou" else torch.cdist
    centroids = wh[torch.randint(len(wh), (1,), generator=g)]
    for _ in range(1, k):
        d2 = dist(wh, centroids).min(1).values.clamp(min=0) ** 2
        centroids = torch.cat([centroids, wh[torch.multinomial(d2 + 1e-12, 1, generator=g)]])
    for _ in range(iters):
        if metric == "iou":
            assign = wh_iou(wh, centroids).argmax(1)                 # nearest = largest IoU
        else:
            assign = torch.cdist(wh, centroids).argmin(1)
        new = centroids.clone()
        for j in range(k):
            members = wh[assign == j]
            if len(members):
                new[j] = members.median(0).values if metric == "iou" else members.mean(0)
        if torch.allclose(new, centroids):
            break
        centroids = new
    return centroids[centroids.prod(1).argsort()]


def mean_best_iou(wh: Tensor, anchors: Tensor) -> float:
    """Average over boxes of the IoU with the best-matching anchor."""
    return float(wh_iou(torch.as_tensor(wh, dtype=torch.float64), torch.as_tensor(anchors, dtype=torch.float64)).max(1).values.mean())
