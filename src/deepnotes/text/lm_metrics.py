"""Language-model and retrieval metrics: perplexity and mean reciprocal rank.

Syllabus: transformers_nlp.perplexity, transformers_nlp.mean_reciprocal_rank.
Notes: 003 L6.12; 000 L7.19-L7.20.

    PPL = exp(-(1/T) sum_t log p(w_t | w_<t)) = exp(mean token cross-entropy)
          (uniform predictions over V give V; perfect predictions give 1)
    MRR = (1/|Q|) sum_q 1 / rank_q,  rank_q = 1 + number of candidates scored above the right one
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["perplexity", "perplexity_from_loss", "mean_reciprocal_rank", "ranks_of_targets"]


@syllabus("transformers_nlp.perplexity")
def perplexity(logits: Tensor, target: Tensor, ignore_index: int | None = None) -> Tensor:
    """exp(mean -log softmax(logits)[target]) over (..., V) logits and (...) targets."""
    expect(logits.shape[:-1] == target.shape, "target", f"shape {tuple(logits.shape[:-1])}", tuple(target.shape))
    nll = -torch.log_softmax(logits.double(), -1).gather(-1, target.clamp_min(0).unsqueeze(-1)).squeeze(-1)
    if ignore_index is not None:
        keep = target != ignore_index
        return torch.exp(nll[keep].mean())
    return torch.exp(nll.mean())


def perplexity_from_loss(mean_nll: float) -> float:
    """PPL from a mean natural-log cross-entropy."""
    return math.exp(mean_nll)


def ranks_of_targets(scores: Tensor, target: Tensor) -> Tensor:
    """1-based rank of the correct candidate in each row of (Q, N) scores (ties count against)."""
    correct = scores.gather(1, target.unsqueeze(1))                  # (Q, 1)
    return 1 + (scores > correct).sum(1)


@syllabus("transformers_nlp.mean_reciprocal_rank")
def mean_reciprocal_rank(ranks: Tensor | list[int] | None = None, *, scores: Tensor | None = None,
                         target: Tensor | None = None) -> float:
    """MRR from 1-based ranks, or from (Q, N) ``scores`` and the correct index per query."""
    if ranks is None:
        expect(scores is not None and target is not None, "scores/target", "both given when ranks is None", None)
        ranks = ranks_of_targets(scores, target)
    r = torch.as_tensor(ranks, dtype=torch.float64)
    expect(r.numel() > 0 and bool((r >= 1).all()), "ranks", "a non-empty list of ranks >= 1", r.tolist())
    return float((1.0 / r).mean())
