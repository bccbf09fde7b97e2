"""Synthetic distribution-shift benchmarks on 8x8 digits.

Syllabus: robustness.distribution_shift_data. Notes: 000 L2.21, L11.01; 002 §9.1a-§9.1b.

* covariate shift: ``covariate_shift(x, kind)`` rotates, adds Gaussian noise, or inverts
  (x -> 1 - x) the images while p(y | x) is meant to stay the same;
* label shift: ``label_shift_indices`` resamples a dataset to new class proportions;
* spurious correlation ("husky vs wolf"): ``spurious_background`` paints each image on a
  coloured background (3 channels) whose colour agrees with the binary label (digit < 5) with
  probability ``correlation`` (0.95 in training, 0.5 in test), so a model can solve the training set
  by looking only at the background.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["covariate_shift", "label_shift_indices", "spurious_background"]

_BG = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])  # red for group 0, blue for group 1


@syllabus("robustness.distribution_shift_data")
def covariate_shift(x: torch.Tensor, kind: str, severity: float = 1.0, generator: torch.Generator | None = None
                    ) -> torch.Tensor:
    """Shift images (B, C, H, W): 'rotate' (severity*30 degrees), 'noise' (std 0.3*severity), 'invert'."""
    expect(kind in ("rotate", "noise", "invert"), "kind", "'rotate', 'noise' or 'invert'", kind)
    if kind == "invert":
        return 1 - x
    if kind == "noise":
        return (x + 0.3 * severity * torch.randn(x.shape, generator=generator)).clamp(0, 1)
    a = math.radians(30 * severity)
    theta = torch.tensor([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]]).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False)


@syllabus("robustness.distribution_shift_data")
def label_shift_indices(y: torch.Tensor, proportions: torch.Tensor, n: int,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """Indices (n,) drawn with replacement so that class k has share ``proportions[k]``."""
    expect(abs(float(proportions.sum()) - 1) < 1e-6, "proportions", "a distribution summing to 1",
           proportions.tolist())
    counts = (proportions * n).round().long()
    out = []
    for k, c in enumerate(counts.tolist()):
        pool = (y == k).nonzero().squeeze(1)
        if c:
            out.append(pool[torch.randint(0, len(pool), (c,), generator=generator)])
    return torch.cat(out)


@syllabus("robustness.distribution_shift_data")
def spurious_background(x: torch.Tensor, y: torch.Tensor, correlation: float,
                        generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Coloured digits (B, 3, H, W), binary label (B,) = digit < 5, background group (B,).

    Exactly round(correlation * B) examples have background group == label (the rest disagree)."""
    expect(0 <= correlation <= 1, "correlation", "a float in [0, 1]", correlation)
    expect(x.dim() == 4 and x.shape[1] == 1, "x", "grey images (B, 1, H, W)", tuple(x.shape))
    label = (y < 5).long()
    B = len(y)
    agree = torch.zeros(B, dtype=torch.bool)
    agree[torch.randperm(B, generator=generator)[:int(round(correlation * B))]] = True
    group = torch.where(agree, label, 1 - label)
    bg = _BG[group].view(B, 3, 1, 1)                        # (B, 3, 1, 1)
    out = x * 1.0 + (1 - x) * bg                             # white strokes on the coloured background
    return out, label, group
