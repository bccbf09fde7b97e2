"""Byte-pair encoding (Sennrich et al.): learn merges of the most frequent adjacent pair,
then tokenise by applying the merges in the order they were learned.

Syllabus: transformers_nlp.bpe. Notes: 003 L8.22, L8.24.

    start: each word is its characters plus the end-of-word marker </w>, weighted by its count
    repeat: count every adjacent symbol pair over the corpus; merge the most frequent pair
            (ties broken by the first pair in lexicographic order) into one symbol

On {low: 5, lower: 2, newest: 6, widest: 3} the first merges are (e, s), (es, t), (est, </w>),
(l, o), (lo, w).
"""
from __future__ import annotations

from collections import Counter

from ..core import expect, syllabus
from .tokenizers import word_split

__all__ = ["learn_bpe", "BPETokenizer"]

EOW = "</w>"


def _pair_counts(words: dict[tuple[str, ...], int]) -> Counter:
    pairs: Counter = Counter()
    for w, c in words.items():
        for a, b in zip(w, w[1:]):
            pairs[a, b] += c
    return pairs


def _merge(word: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


@syllabus("transformers_nlp.bpe")
def learn_bpe(word_counts: dict[str, int], num_merges: int) -> list[tuple[str, str]]:
    """The first ``num_merges`` merges (fewer if no pair is left) learned from word counts."""
    expect(num_merges >= 0, "num_merges", "a non-negative int", num_merges)
    words = {tuple(w) + (EOW,): c for w, c in word_counts.items()}
    merges = []
    for _ in range(num_merges):
        pairs = _pair_counts(words)
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        words = {_merge(w, best): c for w, c in words.items()}
    return merges


@syllabus("transformers_nlp.bpe")
class BPETokenizer:
    """Subword tokenizer from learned merges; ``fit(text, num_merges)``, ``tokenize(word)``."""

    def __init__(self, merges: list[tuple[str, str]] | None = None):
        self.merges = merges or []
        self.ranks = {p: i for i, p in enumerate(self.merges)}
        self._cache: dict[str, tuple[str, ...]] = {}

    def fit(self, text: str, num_merges: int, lower: bool = True) -> "BPETokenizer":
        self.__init__(learn_bpe(Counter(word_split(text, lower)), num_merges))
        return self

    def tokenize_word(self, word: str) -> tuple[str, ...]:
        if word in self._cache:
            return self._cache[word]
        w = tuple(word) + (EOW,)
        while len(w) > 1:                                   # apply the earliest-learned merge first
            pairs = [(self.ranks.get(p, len(self.ranks)), p) for p in zip(w, w[1:])]
            rank, pair = min(pairs)
            if rank == len(self.ranks):
                break
            w = _merge(w, pair)
        self._cache[word] = w
        return w

    def tokenize(self, text: str, lower: bool = True) -> list[str]:
        return [t for word in word_split(text, lower) for t in self.tokenize_word(word)]

    @staticmethod
    def detokenize(tokens: list[str]) -> str:
        return "".join(tokens).replace(EOW, " ").strip()
