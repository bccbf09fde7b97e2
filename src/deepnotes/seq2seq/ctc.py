"""Connectionist temporal classification: the loss by the forward recursion in log space, and
greedy decoding by collapsing.

Syllabus: sequences.ctc. Notes: 000 L4.43.

p(y | x) sums over every frame-level path pi (one symbol or blank per frame) that collapses to
y (merge repeats, then drop blanks). With the blank-extended label l' = (b, y_1, b, y_2, .., b):

    alpha_1(1) = p_1(b),  alpha_1(2) = p_1(y_1)
    alpha_t(s) = p_t(l'_s) (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [l'_s != b, l'_s != l'_{s-2}] alpha_{t-1}(s-2))
    -log p(y | x) = -log(alpha_T(S) + alpha_T(S-1))

computed with logsumexp. Reductions follow torch.nn.functional.ctc_loss ('mean' divides each
loss by its target length, then averages). Greedy decoding: argmax per frame, collapse.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["ctc_loss", "ctc_collapse", "ctc_greedy_decode"]

_LOG_ZERO = -1e30


@syllabus("sequences.ctc")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor, target_lengths: Tensor,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False, *, fast: bool = False) -> Tensor:
    """log_probs (T, N, C) log-softmax outputs; targets (N, S) padded; lengths (N,).

    ``fast=True`` calls torch's fused kernel (torch.nn.functional.ctc_loss) for the same maths.
    """
    expect(log_probs.dim() == 3, "log_probs", "a (T, N, C) tensor", tuple(log_probs.shape))
    T, N, C = log_probs.shape
    expect(targets.dim() == 2 and targets.shape[0] == N, "targets", f"a padded (N={N}, S) tensor", tuple(targets.shape))
    expect(int(input_lengths.max()) <= T, "input_lengths", f"lengths <= T={T}", input_lengths.tolist())
    expect(tuple(input_lengths.shape) == (N,), "input_lengths", f"one length per sequence, shape ({N},)",
           tuple(input_lengths.shape))
    expect(tuple(target_lengths.shape) == (N,) and int(target_lengths.max()) <= targets.shape[1], "target_lengths",
           f"shape ({N},) with lengths <= S={targets.shape[1]}", target_lengths.tolist())
    expect(reduction in ("mean", "sum", "none"), "reduction", "'mean', 'sum' or 'none'", reduction)
    if fast:
        return torch.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                                            zero_infinity)
    losses = []
    # a large finite stand-in for log 0 keeps logsumexp's gradient finite (all--inf rows give NaN)
    neg_inf = torch.tensor(_LOG_ZERO, dtype=log_probs.dtype, device=log_probs.device)
    for n in range(N):
        Tn, Sn = int(input_lengths[n]), int(target_lengths[n])
        y = targets[n, :Sn].long()
        expect(not bool((y == blank).any()), "targets", f"labels without the blank id {blank}", y.tolist())
        ext = torch.full((2 * Sn + 1,), blank, dtype=torch.long, device=log_probs.device)
        ext[1::2] = y                                                   # l' = b y1 b y2 .. b
        L = ext.shape[0]
        skip = torch.zeros(L, dtype=torch.bool, device=log_probs.device)   # may jump from s-2
        if L > 2:
            skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
        lp = log_probs[:Tn, n, :].index_select(1, ext)                  # (Tn, L)
        alpha = torch.full((L,), _LOG_ZERO, dtype=log_probs.dtype, device=log_probs.device)
        alpha[0] = lp[0, 0]
        if L > 1:
            alpha[1] = lp[0, 1]
        for t in range(1, Tn):
            a1 = torch.cat([neg_inf.view(1), alpha[:-1]])              # alpha_{t-1}(s-1)
            a2 = torch.cat([neg_inf.repeat(2), alpha[:-2]])            # alpha_{t-1}(s-2)
            a2 = torch.where(skip, a2, neg_inf)
            alpha = torch.logsumexp(torch.stack([alpha, a1, a2]), 0) + lp[t]
        ll = torch.logsumexp(alpha[-2:], 0) if L > 1 else alpha[-1]
        losses.append(torch.where(ll < _LOG_ZERO / 2, torch.full_like(ll, float("-inf")), ll).neg())
    loss = torch.stack(losses)                                          # (N,)
    if zero_infinity:
        loss = torch.where(torch.isinf(loss), torch.zeros_like(loss), loss)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return (loss / target_lengths.to(loss.dtype).clamp_min(1)).mean()


@syllabus("sequences.ctc")
def ctc_collapse(path: list[int], blank: int = 0) -> list[int]:
    """Merge repeated symbols, then drop blanks: [a, a, -, a, b, b] -> [a, a, b]."""
    out, prev = [], None
    for p in path:
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return out


@syllabus("sequences.ctc")
def ctc_greedy_decode(log_probs: Tensor, input_lengths: Tensor | None = None, blank: int = 0) -> list[list[int]]:
    """Best path decoding of (T, N, C) outputs: argmax per frame, then collapse."""
    best = log_probs.argmax(-1)                                         # (T, N)
    T, N = best.shape
    lengths = [T] * N if input_lengths is None else input_lengths.tolist()
    return [ctc_collapse(best[: lengths[n], n].tolist(), blank) for n in range(N)]
