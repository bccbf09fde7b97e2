"""Character and word tokenisation with a vocabulary of special tokens.

Syllabus: sequences.vocabulary_tokenization. Notes: 003 L6.01-L6.02; 000 L4.01, L5.13; 002 P16.

A vocabulary maps each symbol to an integer id. The special tokens come first, with stable ids:

    <pad>=0  <unk>=1  [BOS]=2  [EOS]=3  [MASK]=4  [CLS]=5  [SEP]=6

then the corpus symbols sorted by decreasing frequency (ties alphabetically). Character level:
every character is a symbol (decode(encode(text)) == text). Word level: words and punctuation
are symbols, unseen words become <unk>.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["SPECIAL_TOKENS", "Vocabulary", "CharTokenizer", "WordTokenizer", "word_split"]

SPECIAL_TOKENS = ("<pad>", "<unk>", "[BOS]", "[EOS]", "[MASK]", "[CLS]", "[SEP]")
_WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def word_split(text: str, lower: bool = True) -> list[str]:
    """Words (with inner apostrophes) and single punctuation marks."""
    return _WORD.findall(text.lower() if lower else text)


@syllabus("sequences.vocabulary_tokenization")
class Vocabulary:
    """Symbol <-> id table with the special tokens first."""

    def __init__(self, symbols: Iterable[str], specials: tuple[str, ...] = SPECIAL_TOKENS):
        self.itos = list(specials) + [s for s in symbols if s not in specials]
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        self.specials = specials

    @classmethod
    def build(cls, tokens: Iterable[str], min_count: int = 1, max_size: int | None = None,
              specials: tuple[str, ...] = SPECIAL_TOKENS) -> "Vocabulary":
        counts = Counter(tokens)
        ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(specials))]
        return cls(ranked, specials)

    def __len__(self) -> int:
        return len(self.itos)

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, self.stoi.get("<unk>", -1))

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    @property
    def pad_id(self) -> int:
        return self.stoi["<pad>"]

    @property
    def unk_id(self) -> int:
        return self.stoi["<unk>"]

    def lookup(self, tokens: Iterable[str]) -> list[int]:
        unk = self.stoi.get("<unk>")
        out = []
        for t in tokens:
            i = self.stoi.get(t, unk)
            expect(i is not None, "tokens", "symbols in the vocabulary (it has no <unk>)", t, KeyError)
            out.append(i)
        return out

    def symbols(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in ids:
            i = int(i)
            expect(0 <= i < len(self.itos), "ids", f"ids in [0, {len(self.itos)})", i)
            out.append(self.itos[i])
        return out


@syllabus("sequences.vocabulary_tokenization")
class CharTokenizer:
    """Character-level tokenizer: ``fit(text)``, ``encode(text) -> ids``, ``decode(ids) -> text``."""

    def __init__(self, vocab: Vocabulary | None = None):
        self.vocab = vocab

    def fit(self, text: str) -> "CharTokenizer":
        self.vocab = Vocabulary.build(text)
        return self

    def encode(self, text: str) -> Tensor:
        expect(self.vocab is not None, "tokenizer", "a fitted tokenizer (call fit first)", None, RuntimeError)
        return torch.tensor(self.vocab.lookup(text), dtype=torch.long)

    def decode(self, ids: Tensor | Iterable[int], skip_special: bool = True) -> str:
        syms = self.vocab.symbols(ids.tolist() if isinstance(ids, Tensor) else ids)
        return "".join(s for s in syms if not (skip_special and s in self.vocab.specials))


@syllabus("sequences.vocabulary_tokenization")
class WordTokenizer:
    """Word-level tokenizer (lower-cased words and punctuation); rare or unseen words -> <unk>."""

    def __init__(self, vocab: Vocabulary | None = None, lower: bool = True):
        self.vocab, self.lower = vocab, lower

    def fit(self, text: str, min_count: int = 1, max_size: int | None = None) -> "WordTokenizer":
        self.vocab = Vocabulary.build(word_split(text, self.lower), min_count, max_size)
        return self

    def tokenize(self, text: str) -> list[str]:
        return word_split(text, self.lower)

    def encode(self, text: str, add_bos_eos: bool = False) -> Tensor:
        expect(self.vocab is not None, "tokenizer", "a fitted tokenizer (call fit first)", None, RuntimeError)
        toks = self.tokenize(text)
        if add_bos_eos:
            toks = ["[BOS]"] + toks + ["[EOS]"]
        return torch.tensor(self.vocab.lookup(toks), dtype=torch.long)

    def decode(self, ids: Tensor | Iterable[int], skip_special: bool = True) -> str:
        syms = self.vocab.symbols(ids.tolist() if isinstance(ids, Tensor) else ids)
        return " ".join(s for s in syms if not (skip_special and s in self.vocab.specials and s != "<unk>"))
