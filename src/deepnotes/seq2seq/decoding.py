"""Decoding an autoregressive model: greedy, beam search (with length normalisation) and
stochastic sampling (temperature, top-k, nucleus/top-p).

Syllabus: sequences.greedy_decoding, sequences.beam_search, sequences.sampling_decoding.
Notes: 000 L5.22-L5.24; 002 §6.4d-e, §6.9m.

Any model works through one function ``next_logits(prefix) -> logits``: prefix (N, t) token
ids (starting with BOS), logits (N, V) for the next token.

    greedy   y_t = argmax_y p(y | x, y_<t), until EOS or max_len
    beam     keep k hypotheses; extend each by its top-k tokens; keep the best k of the k^2 by
             total log-probability; hypotheses ending in EOS are set aside; stop at max_len or
             when k are finished; rank finished ones by (1/T) sum_t log p (length-normalised)
             or by the plain sum
    sample   y_t ~ softmax(z_t / tau), optionally restricted to the k most likely tokens
             (top-k) or to the smallest set whose probability reaches p (nucleus); tau -> 0 is
             greedy

Beam search with k = 1 is greedy decoding; with k >= V^T it is exhaustive search.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["greedy_decode", "beam_search", "BeamHypothesis", "sample_decode", "filter_logits"]

NextLogits = Callable[[Tensor], Tensor]


def _check_prefix(prefix: Tensor) -> Tensor:
    expect(prefix.dim() == 2 and not prefix.is_floating_point(), "prefix",
           "a (N, t) integer tensor of token ids", tuple(prefix.shape))
    return prefix


@syllabus("sequences.greedy_decoding")
def greedy_decode(next_logits: NextLogits, prefix: Tensor, max_len: int, eos: int | None = None) -> Tensor:
    """Extend ``prefix`` (N, t) by the argmax token until every row emitted ``eos`` or
    ``max_len`` new tokens; rows that finished are padded with ``eos``. Returns (N, t + steps)."""
    seq = _check_prefix(prefix)
    done = torch.zeros(seq.shape[0], dtype=torch.bool, device=seq.device)
    for _ in range(max_len):
        nxt = next_logits(seq).argmax(-1)                               # (N,)
        if eos is not None:
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            done = done | (nxt == eos)
        seq = torch.cat([seq, nxt[:, None]], 1)
        if eos is not None and bool(done.all()):
            break
    return seq


@dataclass
class BeamHypothesis:
    tokens: list[int]          # generated tokens (without the prefix), EOS included if finished
    log_prob: float            # sum of log p over the generated tokens
    finished: bool

    def score(self, length_norm: bool) -> float:
        return self.log_prob / max(len(self.tokens), 1) if length_norm else self.log_prob


@syllabus("sequences.beam_search")
def beam_search(next_logits: NextLogits, prefix: Tensor, beam_size: int, max_len: int,
                eos: int | None = None, length_norm: bool = True,
                num_finished: int | None = None) -> list[BeamHypothesis]:
    """Beam search for one prefix (1, t); returns hypotheses best first.

    The search keeps ``beam_size`` live hypotheses, sets aside those ending in ``eos`` and
    stops after ``max_len`` steps or once ``num_finished`` (default ``beam_size``) are finished.
    """
    prefix = _check_prefix(prefix)
    expect(prefix.shape[0] == 1, "prefix", "a single prefix of shape (1, t)", tuple(prefix.shape))
    expect(beam_size >= 1, "beam_size", "an int >= 1", beam_size)
    num_finished = beam_size if num_finished is None else num_finished
    live = [BeamHypothesis([], 0.0, False)]
    finished: list[BeamHypothesis] = []
    for _ in range(max_len):
        seqs = torch.stack([torch.cat([prefix[0], torch.tensor(h.tokens, dtype=prefix.dtype,
                                                              device=prefix.device)]) for h in live])
        logp = torch.log_softmax(next_logits(seqs).double(), -1)       # (n_live, V)
        k = min(beam_size, logp.shape[-1])
        top_lp, top_ix = logp.topk(k, -1)                               # each hypothesis' top-k
        cands = [BeamHypothesis(h.tokens + [int(top_ix[i, j])], h.log_prob + float(top_lp[i, j]),
                                eos is not None and int(top_ix[i, j]) == eos)
                 for i, h in enumerate(live) for j in range(k)]
        cands.sort(key=lambda h: h.log_prob, reverse=True)             # best k of the k^2
        live = []
        for h in cands[:beam_size]:
            (finished if h.finished else live).append(h)
        if not live or len(finished) >= num_finished:
            break
    pool = finished + live if len(finished) < num_finished else finished
    return sorted(pool, key=lambda h: h.score(length_norm), reverse=True)


@syllabus("sequences.sampling_decoding")
def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """Set to -inf every logit outside the top-k and/or outside the nucleus of mass top_p."""
    if top_k is not None:
        expect(top_k >= 1, "top_k", "an int >= 1", top_k)
        kth = logits.topk(min(top_k, logits.shape[-1]), -1).values[..., -1:]   # (N, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        expect(0 < top_p <= 1, "top_p", "a probability in (0, 1]", top_p)
        sorted_logits, order = logits.sort(-1, descending=True)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop = cum - sorted_logits.softmax(-1) >= top_p                # mass before this token already >= p
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits


@syllabus("sequences.sampling_decoding")
def sample_decode(next_logits: NextLogits, prefix: Tensor, max_len: int, temperature: float = 1.0,
                  top_k: int | None = None, top_p: float | None = None, eos: int | None = None,
                  generator: torch.Generator | None = None) -> Tensor:
    """Ancestral sampling from softmax(z / temperature) (filtered by top-k / top-p).

    ``temperature == 0`` is greedy decoding. Returns (N, t + steps) like :func:`greedy_decode`.
    """
    expect(temperature >= 0, "temperature", "a non-negative float", temperature)
    if temperature == 0:
        return greedy_decode(next_logits, prefix, max_len, eos)
    seq = _check_prefix(prefix)
    done = torch.zeros(seq.shape[0], dtype=torch.bool, device=seq.device)
    for _ in range(max_len):
        z = filter_logits(next_logits(seq) / temperature, top_k, top_p)   # (N, V)
        nxt = torch.multinomial(z.softmax(-1), 1, generator=generator)[:, 0]
        if eos is not None:
            nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
            done = done | (nxt == eos)
        seq = torch.cat([seq, nxt[:, None]], 1)
        if eos is not None and bool(done.all()):
            break
    return seq
