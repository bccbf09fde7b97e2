"""Cross-modal (audio-visual) correspondence pretext task.

Syllabus: adaptation_ssl_meta.pretext_av_correspondence. Notes: 003 L13.26.

Two towers embed the two modalities, f_a(a) and f_v(v); a head classifies whether the pair
corresponds (same underlying event, label 1) or is mismatched (label 0):
    p(corr | a, v) = sigma(h([f_a(a); f_v(v)])).
Offline stand-in: an 8x8 digit image and an mnist1d-style 1-D signal of the same digit class
correspond; a signal of a different digit does not.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["correspondence_pairs", "TwoTowerCorrespondence"]


def correspondence_pairs(labels_a: torch.Tensor, labels_b: torch.Tensor,
                         generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each item i of modality A pick a partner in B: same class (label 1) for half, other class (0).

    Returns (index_a (N,), index_b (N,), label (N,)), exactly balanced.
    """
    g = generator
    N = len(labels_a)
    expect(len(labels_b.unique()) >= 2, "labels_b", "at least two classes", labels_b.unique().tolist())
    label = torch.zeros(N, dtype=torch.long)
    label[torch.randperm(N, generator=g)[: N - N // 2]] = 1
    idx_b = torch.empty(N, dtype=torch.long)
    for i in range(N):
        same = labels_b == labels_a[i]
        pool = (same if label[i] == 1 else ~same).nonzero().squeeze(1)
        expect(len(pool) > 0, "labels_b", f"items for class {int(labels_a[i])} and for others", "none")
        idx_b[i] = pool[torch.randint(len(pool), (1,), generator=g)]
    return torch.arange(N), idx_b, label


@syllabus("adaptation_ssl_meta.pretext_av_correspondence")
class TwoTowerCorrespondence(nn.Module):
    """tower_a, tower_b -> (B, D) each; an MLP head on [f_a; f_b] gives the correspondence logit (B,)."""

    def __init__(self, tower_a: nn.Module, tower_b: nn.Module, dim: int, hidden: int = 64):
        super().__init__()
        self.tower_a, self.tower_b = tower_a, tower_b
        self.head = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.tower_a(a), self.tower_b(b)], -1)).squeeze(-1)  # (B,)
