"""Backdoor (trigger) poisoning: stamp a patch on a fraction of training images, relabel them.

Syllabus: robustness.backdoor_attack. Notes: 000 L10.17.

A fraction p of training examples (not already of the target class) get a trigger, a bright
``size`` x ``size`` patch in the bottom-right corner, and the label ``target_class``; the model is
then trained normally. At test time the trigger sends inputs to the target class while clean
accuracy is kept. ``attack_success`` is measured on triggered test inputs whose label is not the
target.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["stamp_trigger", "poison_dataset"]


def stamp_trigger(x: torch.Tensor, size: int = 2, value: float = 1.0) -> torch.Tensor:
    """Copy of images (B, C, H, W) with a ``size`` x ``size`` patch of ``value`` in the bottom-right."""
    expect(x.dim() == 4, "x", "images (B, C, H, W)", tuple(x.shape))
    out = x.clone()
    out[..., -size:, -size:] = value
    return out


@syllabus("robustness.backdoor_attack")
def poison_dataset(x: torch.Tensor, y: torch.Tensor, fraction: float, target_class: int, size: int = 2,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Returns (x, y, poisoned index): ``fraction`` of all examples triggered and relabelled."""
    expect(0 <= fraction <= 1, "fraction", "a float in [0, 1]", fraction)
    candidates = (y != target_class).nonzero().squeeze(1)
    n = int(round(fraction * len(y)))
    expect(n <= len(candidates), "fraction", f"at most {len(candidates) / len(y):.3f}", fraction)
    idx = candidates[torch.randperm(len(candidates), generator=generator)[:n]]
    x, y = x.clone(), y.clone()
    x[idx] = stamp_trigger(x[idx], size)
    y[idx] = target_class
    return x, y, idx
