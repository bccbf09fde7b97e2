"""n-gram language models from counts (unigram, bigram/Markov, trigram, ...) with add-k smoothing.

Syllabus: sequences.ngram_lm. Notes: 003 L6.04-L6.06, L8.06; 002 §6.4c.

Chain rule: P(w_1..w_T) = prod_t P(w_t | w_<t). The n-gram model keeps only the last n-1 tokens:

    P(w_t | h) = (count(h w_t) + k) / (count(h) + k V),    h = w_{t-n+1} .. w_{t-1}

(k = 0: maximum likelihood). A first-order Markov (bigram) model has V^2 numbers. The sequence
is padded on the left with n-1 [BOS] symbols (id ``bos``).

Notes' differences: 003 calls the model that conditions on TWO previous words a 'bigram'
(standard name: trigram). Here n counts the tokens of the n-gram, n = 3 for two previous words.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["NGramLM"]


@syllabus("sequences.ngram_lm")
class NGramLM:
    """Count-based n-gram LM over integer token ids in [0, vocab_size)."""

    def __init__(self, n: int, vocab_size: int, k: float = 0.0, bos: int | None = None):
        expect(n >= 1, "n", "an n-gram order >= 1", n)
        expect(k >= 0, "k", "a non-negative smoothing constant", k)
        self.n, self.V, self.k, self.bos = n, vocab_size, k, bos
        self.counts: dict[tuple[int, ...], Counter] = defaultdict(Counter)

    def _padded(self, seq: list[int]) -> list[int]:
        return [self.bos if self.bos is not None else -1] * (self.n - 1) + seq

    def fit(self, ids: Tensor | list[int]) -> "NGramLM":
        seq = ids.tolist() if isinstance(ids, Tensor) else list(ids)
        expect(all(0 <= s < self.V for s in seq), "ids", f"token ids in [0, {self.V})", "out-of-range ids")
        full, m = self._padded(seq), self.n - 1
        for t, w in enumerate(seq):
            self.counts[tuple(full[t: t + m])][w] += 1                # context = the n-1 tokens before w
        self._totals = {h: sum(c.values()) for h, c in self.counts.items()}
        return self

    def prob(self, word: int, context: tuple[int, ...] = ()) -> float:
        """P(word | last n-1 tokens of context)."""
        expect(0 <= word < self.V, "word", f"a token id in [0, {self.V})", word)
        h = tuple(context)[len(context) - (self.n - 1):] if self.n > 1 else ()
        c, tot = self.counts.get(h, Counter())[word], self._totals.get(h, 0)
        if tot + self.k * self.V == 0:
            return 1.0 / self.V                             # unseen context: back off to uniform
        return (c + self.k) / (tot + self.k * self.V)

    def distribution(self, context: tuple[int, ...] = ()) -> Tensor:
        return torch.tensor([self.prob(w, context) for w in range(self.V)], dtype=torch.float64)

    def sequence_log_prob(self, ids: Tensor | list[int]) -> float:
        """sum_t log P(w_t | w_{t-n+1..t-1}) (natural log; -inf if a probability is 0)."""
        seq = ids.tolist() if isinstance(ids, Tensor) else list(ids)
        full, m, total = self._padded(seq), self.n - 1, 0.0
        for t, w in enumerate(seq):
            p = self.prob(w, tuple(full[t: t + m]))
            total += math.log(p) if p > 0 else float("-inf")
        return total

    def perplexity(self, ids: Tensor | list[int]) -> float:
        n = len(ids)
        return math.exp(-self.sequence_log_prob(ids) / n)
