"""Greedy NMS on 10k random boxes: deepnotes.vision.nms vs a vectorized reference.

    python benchmarks/nms.py [--boxes 10000] [--threads 1]

The reference computes the whole IoU matrix (in row blocks, vectorized) and then walks the
score order once with a boolean mask; deepnotes' nms loops over KEPT boxes only, comparing each
with the survivors. Both must return the same indices (checked).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from deepnotes.vision import nms


def reference_nms(boxes: torch.Tensor, scores: torch.Tensor, thr: float, block: int = 1000) -> torch.Tensor:
    order = torch.argsort(scores, descending=True, stable=True)
    b = boxes[order]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    over = torch.zeros(len(b), len(b), dtype=torch.bool)
    for s in range(0, len(b), block):
        bb = b[s:s + block]
        lt = torch.maximum(bb[:, None, :2], b[None, :, :2])
        rb = torch.minimum(bb[:, None, 2:], b[None, :, 2:])
        wh = (rb - lt).clamp(min=0)
        inter = wh[..., 0] * wh[..., 1]
        over[s:s + block] = inter / (area[s:s + block, None] + area[None] - inter).clamp(min=1e-12) > thr
    suppressed = torch.zeros(len(b), dtype=torch.bool)
    keep = []
    for i in range(len(b)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= over[i]
    return order[torch.tensor(keep)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--boxes", type=int, default=10_000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    print(f"boxes={a.boxes} threads={a.threads}\n")
    print("| boxes spread | IoU thr | kept | reference ms | deepnotes ms | ratio |")
    print("|---|---|---|---|---|---|")
    for spread in (1000.0, 200.0):
        xy = torch.rand(a.boxes, 2, generator=g) * spread
        boxes = torch.cat([xy, xy + torch.rand(a.boxes, 2, generator=g) * 40 + 4], 1)
        scores = torch.rand(a.boxes, generator=g)
        for thr in (0.5,):
            ours = nms(boxes, scores, thr)
            ref = reference_nms(boxes, scores, thr)
            assert torch.equal(ours, ref), "deepnotes nms disagrees with the reference"
            t_ref = statistics.median([_time(reference_nms, boxes, scores, thr) for _ in range(a.repeats)])
            t_ours = statistics.median([_time(nms, boxes, scores, thr) for _ in range(a.repeats)])
            print(f"| {spread:g} px | {thr} | {len(ours)} | {t_ref * 1e3:.1f} | {t_ours * 1e3:.1f} | {t_ours / t_ref:.2f}x |")


def _time(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
