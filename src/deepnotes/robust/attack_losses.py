"""Attack objectives: what the adversary ascends.

Syllabus: robustness.attack_losses. Notes: 000 L10.06-L10.07.

Non-targeted: maximise CE(f(x), y_true), i.e. push the input away from its true class.
Targeted: maximise  CE(f(x), y_true) - CE(f(x), y_target), i.e. away from the truth and towards
the chosen target class. Both are written as quantities to *maximise* (the notes minimise the
negated error -e(y, y_hat), which is the same thing with the sign flipped).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["untargeted_attack_loss", "targeted_attack_loss"]


@syllabus("robustness.attack_losses")
def untargeted_attack_loss(logits: torch.Tensor, target: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """CE(logits, target) to be maximised; logits (B, K), target (B,)."""
    expect(logits.dim() == 2, "logits", "a (B, K) tensor", tuple(logits.shape))
    return F.cross_entropy(logits, target, reduction=reduction)


@syllabus("robustness.attack_losses")
def targeted_attack_loss(logits: torch.Tensor, target: torch.Tensor, attack_target: torch.Tensor,
                         reduction: str = "sum") -> torch.Tensor:
    """CE(logits, y_true) - CE(logits, y_target) to be maximised; logits (B, K)."""
    expect(logits.dim() == 2, "logits", "a (B, K) tensor", tuple(logits.shape))
    expect(attack_target.shape == target.shape, "attack_target", f"shape {tuple(target.shape)}",
           tuple(attack_target.shape))
    return (F.cross_entropy(logits, target, reduction=reduction)
            - F.cross_entropy(logits, attack_target, reduction=reduction))
