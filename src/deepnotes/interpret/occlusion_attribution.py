"""Occlusion: slide a patch of baseline values over the input and record the score drop.

Syllabus: interpretability.occlusion. Notes: 000 L9.03.

For each window position W (a sliding_window_shapes block moved by ``strides``):

    delta_W = F(x) - F(x with W replaced by the baseline)

and every feature's attribution is the mean of delta_W over the windows that cover it (Captum's
``Occlusion``). For a linear model F = w^T x + b with zero baseline and 1-feature windows,
attribution_i = w_i x_i exactly. The occluded copies are evaluated ``perturbations_per_eval`` at a time.
"""
from __future__ import annotations

import itertools
from typing import Any

import torch

from ..core import expect, syllabus
from ._target import select_target

__all__ = ["occlusion"]


@syllabus("interpretability.occlusion")
@torch.no_grad()
def occlusion(model: torch.nn.Module, inputs: torch.Tensor, target: Any = None,
              sliding_window_shapes: tuple[int, ...] | None = None, strides: tuple[int, ...] | int | None = None,
              baselines: float | torch.Tensor = 0.0, perturbations_per_eval: int = 64) -> torch.Tensor:
    """Occlusion attributions shaped like ``inputs`` (B, *S); windows span the non-batch dims S."""
    shape = tuple(inputs.shape[1:])
    win = tuple(sliding_window_shapes) if sliding_window_shapes is not None else (1,) * len(shape)
    expect(len(win) == len(shape) and all(1 <= w <= s for w, s in zip(win, shape)), "sliding_window_shapes",
           f"{len(shape)} sizes within the input shape {shape}", sliding_window_shapes)
    stride = (strides,) * len(shape) if isinstance(strides, int) else tuple(strides or (1,) * len(shape))
    expect(len(stride) == len(shape) and all(s >= 1 for s in stride), "strides",
           f"{len(shape)} positive integers", strides)
    base = torch.as_tensor(baselines, dtype=inputs.dtype, device=inputs.device).expand_as(inputs)
    ref = select_target(model(inputs), target)                                 # (B,)
    starts = [range(0, s - w + 1, st) for s, w, st in zip(shape, win, stride)]
    masks = []
    for pos in itertools.product(*starts):
        m = torch.zeros(shape, dtype=torch.bool, device=inputs.device)
        m[tuple(slice(p, p + w) for p, w in zip(pos, win))] = True
        masks.append(m)
    masks = torch.stack(masks)                                                  # (P, *S)
    total = torch.zeros_like(inputs)
    count = masks.sum(0).to(inputs.dtype)                                       # windows covering each feature
    B = inputs.size(0)
    for s in range(0, masks.size(0), perturbations_per_eval):
        m = masks[s:s + perturbations_per_eval]                                 # (p, *S)
        occluded = torch.where(m[:, None], base[None], inputs[None])            # (p, B, *S)
        tgt = target.repeat(m.size(0)) if isinstance(target, torch.Tensor) and target.dim() > 0 else target
        out = select_target(model(occluded.reshape(-1, *shape)), tgt).view(m.size(0), B)
        delta = ref[None] - out                                                 # (p, B)
        total += (delta.view(m.size(0), B, *([1] * len(shape))) * m[:, None]).sum(0)
    return total / count.clamp(min=1)
