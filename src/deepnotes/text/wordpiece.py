"""WordPiece tokenisation (greedy longest-match-first) and a small WordPiece vocabulary learner.

Syllabus: transformers_nlp.wordpiece. Notes: 003 L8.21.

Tokenising a word: take the longest prefix in the vocabulary, then repeatedly the longest
continuation piece (written with a '##' prefix) from where the previous piece ended; if at
some point no piece matches, the whole word becomes [UNK]. With vocabulary {walk, ##ing, ##s},
'walking' -> [walk, ##ing].

Learning (Schuster & Nakajima, as used for BERT): start from characters (continuations as
'##c'); repeatedly merge the pair (a, b) with the highest score count(ab) / (count(a) count(b))
until the vocabulary has the requested size.
"""
from __future__ import annotations

from collections import Counter

from ..core import expect, syllabus
from .tokenizers import word_split

__all__ = ["wordpiece_tokenize", "learn_wordpiece", "WordPieceTokenizer"]


@syllabus("transformers_nlp.wordpiece")
def wordpiece_tokenize(word: str, vocab: set[str], unk: str = "[UNK]", max_chars: int = 100) -> list[str]:
    """Greedy longest-match-first split of one word."""
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, piece = len(word), None
        while end > start:
            cand = word[start:end] if start == 0 else "##" + word[start:end]
            if cand in vocab:
                piece = cand
                break
            end -= 1
        if piece is None:
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


@syllabus("transformers_nlp.wordpiece")
def learn_wordpiece(word_counts: dict[str, int], vocab_size: int) -> set[str]:
    """A WordPiece vocabulary of about ``vocab_size`` pieces from word counts."""
    splits = {w: [w[0]] + ["##" + c for c in w[1:]] for w in word_counts}
    vocab = {p for s in splits.values() for p in s}
    while len(vocab) < vocab_size:
        pair_c, piece_c = Counter(), Counter()
        for w, c in word_counts.items():
            s = splits[w]
            for p in s:
                piece_c[p] += c
            for a, b in zip(s, s[1:]):
                pair_c[a, b] += c
        if not pair_c:
            break
        a, b = max(pair_c, key=lambda p: (pair_c[p] / (piece_c[p[0]] * piece_c[p[1]]), p))
        new = a + (b[2:] if b.startswith("##") else b)
        vocab.add(new)
        for w, s in splits.items():
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return vocab


@syllabus("transformers_nlp.wordpiece")
class WordPieceTokenizer:
    """``WordPieceTokenizer(vocab)`` or ``.fit(text, vocab_size)``; ``tokenize(text)``."""

    def __init__(self, vocab: set[str] | None = None, unk: str = "[UNK]"):
        self.vocab, self.unk = set(vocab or ()), unk

    def fit(self, text: str, vocab_size: int, lower: bool = True) -> "WordPieceTokenizer":
        expect(vocab_size > 0, "vocab_size", "a positive int", vocab_size)
        self.vocab = learn_wordpiece(Counter(word_split(text, lower)), vocab_size)
        return self

    def tokenize(self, text: str, lower: bool = True) -> list[str]:
        return [p for w in word_split(text, lower) for p in wordpiece_tokenize(w, self.vocab, self.unk)]
