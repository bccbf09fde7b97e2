"""Synthetic sequence tasks: copy, reverse, sort, digit-wise addition and recall-after-a-gap.

Syllabus: sequences.long_range_tasks. Notes: 001 S17.24 ("the clouds are in the ___": the
answer depends on a word far back), 003 L6.03.

Every task draws random symbols with a seeded generator and builds the answer by construction:

    copy     y = x                         reverse  y = x[::-1]
    sort     y = sorted(x)                 addition y = digits(a + b), a and b of n digits
    recall   y = x_0, the first token, read after k distractors (the gap)

Vocabulary (token ids): PAD = 0, BOS = 1, EOS = 2, SEP = 3, then the symbols: symbol s has id
``FIRST_SYMBOL + s`` = 4 + s. Addition's symbols are the digits 0-9 and its '+' is SEP.
``src`` is the problem followed by EOS; ``tgt`` is the answer followed by EOS (seq2seq tasks),
both padded with PAD to a common length. A decoder fed by teacher forcing reads
``shift_right(tgt)`` = BOS followed by tgt without its last token. Recall is many-to-one: its
``tgt`` is (N,) symbol ids in [0, V), so chance accuracy is 1/V.
"""
from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

from ..core import expect, syllabus
from ._seed import check_count, split_generator
from .registry import register_dataset

__all__ = ["PAD", "BOS", "EOS", "SEP", "FIRST_SYMBOL", "shift_right", "make_copy_task", "make_reverse_task",
           "make_sort_task", "make_addition_task", "make_recall_task", "sequence_vocab_size"]

PAD, BOS, EOS, SEP = 0, 1, 2, 3
FIRST_SYMBOL = 4


def sequence_vocab_size(num_symbols: int) -> int:
    """Total token ids for ``num_symbols`` symbols: the 4 specials plus the symbols."""
    return FIRST_SYMBOL + num_symbols


def shift_right(tgt: torch.Tensor) -> torch.Tensor:
    """Decoder input for teacher forcing: (N, T) -> BOS, tgt[:, :-1]."""
    return torch.cat([torch.full_like(tgt[:, :1], BOS), tgt[:, :-1]], dim=1)


def _symbols(n: int, length: int, vocab: int, g: torch.Generator, min_length: int | None):
    """(N, L) random symbol ids and (N,) lengths; positions past a row's length hold -1."""
    check_count(n, "n")
    check_count(length, "length")
    check_count(vocab, "vocab", 2)
    lo = length if min_length is None else min_length
    expect(isinstance(lo, int) and 1 <= lo <= length, "min_length", f"None or an int in [1, {length}]", min_length)
    s = torch.randint(vocab, (n, length), generator=g)                         # (N, L)
    lengths = torch.randint(lo, length + 1, (n,), generator=g)                 # (N,)
    valid = torch.arange(length) < lengths[:, None]                            # (N, L)
    return torch.where(valid, s, -1), lengths


def _with_eos(sym: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Symbols (N, L) with -1 padding -> token ids (N, L + 1): symbols, EOS, PAD..."""
    n, length = sym.shape
    tok = torch.where(sym >= 0, sym + FIRST_SYMBOL, PAD)
    tok = torch.cat([tok, torch.full((n, 1), PAD)], dim=1)                     # (N, L+1)
    tok[torch.arange(n), lengths] = EOS
    return tok


@syllabus("sequences.long_range_tasks")
def make_copy_task(n: int, length: int = 10, vocab: int = 8, min_length: int | None = None,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(src, tgt) each (N, length + 1): tgt repeats src. ``min_length`` < length gives ragged rows."""
    sym, lengths = _symbols(n, length, vocab, generator, min_length)
    tok = _with_eos(sym, lengths)
    return tok, tok.clone()


@syllabus("sequences.long_range_tasks")
def make_reverse_task(n: int, length: int = 10, vocab: int = 8, min_length: int | None = None,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(src, tgt) each (N, length + 1): tgt is each row's symbols in reverse order."""
    sym, lengths = _symbols(n, length, vocab, generator, min_length)
    pos = torch.arange(length)
    back = (lengths[:, None] - 1 - pos).clamp(min=0)                            # (N, L) mirrored index
    rev = torch.where(pos < lengths[:, None], sym.gather(1, back), -1)
    return _with_eos(sym, lengths), _with_eos(rev, lengths)


@syllabus("sequences.long_range_tasks")
def make_sort_task(n: int, length: int = 10, vocab: int = 8, min_length: int | None = None,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(src, tgt) each (N, length + 1): tgt is each row's symbols in ascending order."""
    sym, lengths = _symbols(n, length, vocab, generator, min_length)
    big = torch.where(sym >= 0, sym, vocab)                                    # padding sorts last
    srt = big.sort(dim=1).values
    srt = torch.where(srt == vocab, -1, srt)
    return _with_eos(sym, lengths), _with_eos(srt, lengths)


@syllabus("sequences.long_range_tasks")
def make_addition_task(n: int, digits: int = 3, reverse_digits: bool = False,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Digit-wise addition a + b of two ``digits``-digit numbers (leading zeros kept).

    src (N, 2 digits + 2) = digits(a), SEP, digits(b), EOS; tgt (N, digits + 2) = the
    digits + 1 digits of a + b, EOS. Most significant digit first, or least first with
    ``reverse_digits`` (the order in which a carry propagates).
    """
    check_count(n, "n")
    check_count(digits, "digits")
    expect(digits <= 18, "digits", "at most 18 (int64 sums)", digits)
    a = torch.randint(10 ** digits, (n,), generator=generator)                  # (N,)
    b = torch.randint(10 ** digits, (n,), generator=generator)                  # (N,)

    def to_digits(v: torch.Tensor, width: int) -> torch.Tensor:
        powers = 10 ** torch.arange(width - 1, -1, -1)                          # (W,) most significant first
        d = (v[:, None] // powers) % 10                                         # (N, W)
        return d.flip(1) if reverse_digits else d

    col = lambda t: torch.full((n, 1), t)  # noqa: E731
    src = torch.cat([to_digits(a, digits) + FIRST_SYMBOL, col(SEP), to_digits(b, digits) + FIRST_SYMBOL, col(EOS)], 1)
    tgt = torch.cat([to_digits(a + b, digits + 1) + FIRST_SYMBOL, col(EOS)], 1)
    return src, tgt


@syllabus("sequences.long_range_tasks")
def make_recall_task(n: int, gap: int = 10, vocab: int = 8,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Remember the first token across ``gap`` distractors: src (N, gap + 2), tgt (N,) symbol ids.

    src = x_0, d_1 .. d_gap, SEP (the query); the answer is x_0's symbol id (0 .. vocab-1).
    """
    check_count(n, "n")
    check_count(gap, "gap", 0)
    check_count(vocab, "vocab", 2)
    sym = torch.randint(vocab, (n, gap + 1), generator=generator)               # (N, gap+1)
    src = torch.cat([sym + FIRST_SYMBOL, torch.full((n, 1), SEP)], dim=1)      # (N, gap+2)
    return src, sym[:, 0].clone()


_TASKS = {"copy": make_copy_task, "reverse": make_reverse_task, "sort": make_sort_task,
          "addition": make_addition_task, "recall": make_recall_task}


def _register(name: str, doc: str) -> None:
    make = _TASKS[name]

    @register_dataset(name, description=doc, tags=("sequence", "synthetic"))
    def load(split: str = "train", n: int = 2048, seed: int = 0, **options) -> TensorDataset:
        src, tgt = make(n, generator=split_generator(seed, split), **options)
        return TensorDataset(src, tgt)
    load.__name__ = f"load_{name}"
    load.__doc__ = f"TensorDataset(src, tgt) of the {name} task; options are {make.__name__}'s."


_register("copy", "copy a random token string (seq2seq, PAD/BOS/EOS/SEP = 0/1/2/3)")
_register("reverse", "reverse a random token string (seq2seq)")
_register("sort", "sort a random token string (seq2seq)")
_register("addition", "digit-wise addition of two n-digit numbers (seq2seq)")
_register("recall", "recall the first token after a gap of k distractors (many-to-one)")
