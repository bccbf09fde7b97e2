"""Sequence cross-entropy: per-step CE summed or averaged over real tokens, padding ignored.

Syllabus: sequences.sequence_loss. Notes: 002 §6.1c; 003 L6.10; 000 L5.16.

    L = sum_t CE(y^_t, y_t) over positions with y_t != <pad>     (reduction 'sum')
    L / #real tokens                                             (reduction 'mean')

The END token is a target like any other; only padding is skipped.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["sequence_cross_entropy"]


@syllabus("sequences.sequence_loss")
def sequence_cross_entropy(logits: Tensor, target: Tensor, ignore_index: int = 0,
                           reduction: str = "mean") -> Tensor:
    """logits (B, T, V), target (B, T) ids; 'mean' over non-pad tokens, 'sum', or 'none' (B, T)."""
    expect(logits.dim() == 3 and logits.shape[:2] == target.shape, "target",
           f"shape {tuple(logits.shape[:2])} matching logits (B, T, V)", tuple(target.shape))
    expect(reduction in ("mean", "sum", "none"), "reduction", "'mean', 'sum' or 'none'", reduction)
    logp = torch.log_softmax(logits, -1)                                   # (B, T, V)
    real = target != ignore_index                                          # (B, T)
    nll = -logp.gather(-1, target.clamp_min(0).unsqueeze(-1)).squeeze(-1)  # (B, T)
    nll = torch.where(real, nll, torch.zeros_like(nll))
    if reduction == "none":
        return nll
    total = nll.sum()
    return total if reduction == "sum" else total / real.sum().clamp_min(1)
