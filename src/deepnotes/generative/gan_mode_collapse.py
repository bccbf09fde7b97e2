"""Mode-collapse mitigations: minibatch standard-deviation feature and the mode-seeking term.

Syllabus: generative.mode_collapse_mitigation. Notes: 003 L11G.17-18, L12D.02.

    minibatch stddev: s = mean over features of std over the batch; appended to every example as an
      extra feature, so D can see a batch with no variety (s = 0 for identical samples).
    mode seeking (MSGAN): L_ms = ||G(z1) - G(z2)||_1 / ||z1 - z2||_1 ; G maximises it
      (we return its value; subtract lambda * L_ms from the generator loss). 0 when G ignores z.
Early stopping is the third mitigation in the notes (a training-loop choice, not code here).
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["MinibatchStdDev", "mode_seeking_term"]


@syllabus("generative.mode_collapse_mitigation")
class MinibatchStdDev(nn.Module):
    """(B, F) -> (B, F + 1) or (B, C, H, W) -> (B, C + 1, H, W): appends the mean batch std."""

    def __init__(self, eps: float = 1e-12):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect(x.ndim in (2, 4) and x.shape[0] >= 2, "x", "(B>=2, F) or (B>=2, C, H, W)", tuple(x.shape))
        var = x.var(dim=0, unbiased=False)                                  # (F,) or (C, H, W)
        std = torch.where(var > 0, var.clamp_min(self.eps).sqrt(), torch.zeros_like(var))  # safe sqrt, 0 if collapsed
        s = std.mean()                                                      # scalar
        feat = s.expand(x.shape[0], 1, *x.shape[2:])                         # (B, 1[, H, W])
        return torch.cat([x, feat], dim=1)


@syllabus("generative.mode_collapse_mitigation")
def mode_seeking_term(x1: torch.Tensor, x2: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor,
                      eps: float = 1e-5) -> torch.Tensor:
    """mean_b ||x1_b - x2_b||_1 / ||z1_b - z2_b||_1 (mean absolute differences per example)."""
    expect(x1.shape == x2.shape, "x2", f"shape {tuple(x1.shape)}", tuple(x2.shape))
    expect(z1.shape == z2.shape, "z2", f"shape {tuple(z1.shape)}", tuple(z2.shape))
    dx = (x1 - x2).abs().flatten(1).mean(1)                                  # (B,)
    dz = (z1 - z2).abs().flatten(1).mean(1)                                  # (B,)
    return (dx / (dz + eps)).mean()
