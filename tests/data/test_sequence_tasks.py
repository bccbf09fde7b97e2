"""Sequence tasks: every label checked by a plain-Python solver, chance 1/V, seeding, vocab."""
import pytest
import torch

from deepnotes.data import (BOS, EOS, FIRST_SYMBOL, PAD, SEP, load, make_addition_task, make_copy_task,
                            make_recall_task, make_reverse_task, make_sort_task, shift_right)


def _decode(row):
    """Token ids up to EOS -> list of symbols (reference decoder written from the vocabulary doc)."""
    out = []
    for t in row.tolist():
        if t == EOS:
            return out
        assert t >= FIRST_SYMBOL
        out.append(t - FIRST_SYMBOL)
    raise AssertionError("no EOS")


@pytest.mark.syllabus("sequences.long_range_tasks")
@pytest.mark.parametrize("make,solve", [(make_copy_task, list), (make_reverse_task, lambda s: s[::-1]),
                                        (make_sort_task, sorted)])
def test_seq2seq_labels_by_reference_solver(make, solve):
    g = torch.Generator().manual_seed(0)
    src, tgt = make(200, length=9, vocab=6, min_length=3, generator=g)
    assert src.shape == tgt.shape == (200, 10)
    for s, t in zip(src, tgt):
        xs = _decode(s)
        assert 3 <= len(xs) <= 9
        assert _decode(t) == solve(xs)
        assert (s[len(xs) + 1:] == PAD).all() and (t[len(xs) + 1:] == PAD).all()


@pytest.mark.syllabus("sequences.long_range_tasks")
@pytest.mark.parametrize("reverse_digits", [False, True])
def test_addition_by_integer_arithmetic(reverse_digits):
    src, tgt = make_addition_task(300, digits=4, reverse_digits=reverse_digits,
                                  generator=torch.Generator().manual_seed(1))
    assert src.shape == (300, 10) and tgt.shape == (300, 6)
    order = -1 if reverse_digits else 1
    for s, t in zip(src, tgt):
        toks = s.tolist()
        assert toks[4] == SEP and toks[-1] == EOS
        a = int("".join(str(d - FIRST_SYMBOL) for d in toks[:4][::order]))
        b = int("".join(str(d - FIRST_SYMBOL) for d in toks[5:9][::order]))
        assert int("".join(map(str, _decode(t)[::order]))) == a + b


@pytest.mark.syllabus("sequences.long_range_tasks")
def test_recall_labels_and_chance_level():
    V = 5
    src, y = make_recall_task(20000, gap=30, vocab=V, generator=torch.Generator().manual_seed(2))
    assert src.shape == (20000, 32) and (src[:, -1] == SEP).all()
    assert torch.equal(y, src[:, 0] - FIRST_SYMBOL)
    # guessing from anything but x_0 (e.g. the last distractor) is at chance 1/V
    acc = (src[:, -2] - FIRST_SYMBOL == y).float().mean().item()
    se = (1 / V * (1 - 1 / V) / 20000) ** 0.5
    assert abs(acc - 1 / V) < 4 * se
    assert abs(torch.bincount(y, minlength=V).float().max().item() / 20000 - 1 / V) < 0.02


@pytest.mark.syllabus("sequences.long_range_tasks")
@pytest.mark.parametrize("name", ["copy", "reverse", "sort", "addition", "recall"])
def test_seeded_batches(name):
    a, b = load(name, n=32, seed=7), load(name, n=32, seed=7)
    assert all(torch.equal(u, v) for u, v in zip(a.tensors, b.tensors))
    c = load(name, split="val", n=32, seed=7)
    assert not torch.equal(a.tensors[0], c.tensors[0])


def test_shift_right():
    tgt = torch.tensor([[5, 6, EOS, PAD]])
    assert shift_right(tgt).tolist() == [[BOS, 5, 6, EOS]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="length"):
        make_copy_task(4, length=0)
    with pytest.raises(ValueError, match="min_length"):
        make_sort_task(4, length=5, min_length=7)
    with pytest.raises(ValueError, match="vocab"):
        make_recall_task(4, vocab=1)
    with pytest.raises(ValueError, match="split"):
        load("copy", split="tr")
