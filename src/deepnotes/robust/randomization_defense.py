"""Randomisation defence: random resize then random zero-padding at test time.

Syllabus: robustness.randomization_defense. Notes: 000 L10.23.

Each input (B, C, H, W) is resized to s·H with s ~ U[1, max_scale] (bilinear), then placed at a
random offset inside a zero canvas of the final size round(max_scale·H) and resized back to (H, W)
so the unchanged model accepts it. Logits can be averaged over ``draws``. The randomness comes
from a seeded generator: fixed seed -> deterministic, different seeds -> different outputs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["random_resize_pad", "RandomizationDefense"]


def random_resize_pad(x: torch.Tensor, max_scale: float = 1.25, generator: torch.Generator | None = None
                      ) -> torch.Tensor:
    """One random resize + pad draw for the whole batch; output has the input's shape."""
    expect(max_scale >= 1, "max_scale", "a float >= 1", max_scale)
    B, C, H, W = x.shape
    final = int(round(max_scale * H))
    s = int(torch.randint(H, final + 1, (1,), generator=generator))
    small = F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False)   # (B, C, s, s)
    top = int(torch.randint(0, final - s + 1, (1,), generator=generator))
    left = int(torch.randint(0, final - s + 1, (1,), generator=generator))
    canvas = F.pad(small, (left, final - s - left, top, final - s - top))          # (B, C, final, final)
    return F.interpolate(canvas, size=(H, W), mode="bilinear", align_corners=False)


@syllabus("robustness.randomization_defense")
class RandomizationDefense(nn.Module):
    """model(random_resize_pad(x)) averaged over ``draws``; ``seed`` fixes the randomness per call."""

    def __init__(self, model: nn.Module, max_scale: float = 1.25, draws: int = 1, seed: int | None = None):
        super().__init__()
        self.model, self.max_scale, self.draws, self.seed = model, max_scale, draws, seed

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if generator is None and self.seed is not None:
            generator = torch.Generator().manual_seed(self.seed)
        return torch.stack([self.model(random_resize_pad(x, self.max_scale, generator))
                            for _ in range(self.draws)]).mean(0)
