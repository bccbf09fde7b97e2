"""Out-of-distribution detection with the maximum softmax probability.

Syllabus: robustness.ood_confidence. Notes: 002 §9.1c.

score(x) = max_k softmax(f(x))_k; in-distribution inputs should score high and OOD inputs, ideally
given uniform predictions, low (1/K). Separation is the ROC-AUC of the score with in-distribution
as the positive class: AUC = P(score_in > score_out) + 0.5 P(tie) (Mann-Whitney U / (n_in n_out)).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["max_softmax_score", "roc_auc"]


def max_softmax_score(logits: torch.Tensor) -> torch.Tensor:
    """Max softmax probability per row of logits (N, K) -> (N,)."""
    expect(logits.dim() == 2, "logits", "a (N, K) tensor", tuple(logits.shape))
    return logits.softmax(-1).amax(-1)


@syllabus("robustness.ood_confidence")
def roc_auc(scores_in: torch.Tensor, scores_out: torch.Tensor) -> float:
    """ROC-AUC of in-distribution (positive) vs OOD scores via average ranks (ties count half)."""
    expect(scores_in.numel() > 0 and scores_out.numel() > 0, "scores_in/scores_out", "non-empty",
           (scores_in.numel(), scores_out.numel()))
    s = torch.cat([scores_in.flatten(), scores_out.flatten()]).double()
    order = s.argsort()
    ranks = torch.empty_like(s)
    ranks[order] = torch.arange(1, len(s) + 1, dtype=torch.float64)
    uniq, inv = torch.unique(s, return_inverse=True)                    # average ranks over ties
    mean_rank = torch.zeros(len(uniq), dtype=torch.float64).index_add_(0, inv, ranks)
    mean_rank /= torch.bincount(inv, minlength=len(uniq)).double()
    r = mean_rank[inv]
    n_in, n_out = scores_in.numel(), scores_out.numel()
    u = r[:n_in].sum() - n_in * (n_in + 1) / 2
    return float(u / (n_in * n_out))
