"""Train/val/test splits: disjoint, covering, stratified like sklearn, seeded."""
import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from deepnotes.data import train_val_test_split


def _labels(seed=0, n=503):
    rng = np.random.default_rng(seed)
    return torch.as_tensor(rng.choice(7, size=n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.07, 0.03]))


@pytest.mark.syllabus("foundations.train_val_test_split")
@pytest.mark.parametrize("val,test", [(0.2, 0.2), (0.1, 0.25), (40, 60)])
def test_disjoint_covering_stratified(val, test):
    y = _labels()
    parts = train_val_test_split(y, val=val, test=test, seed=3)
    idx = torch.cat(list(parts.values()))
    assert len(idx) == len(y) and idx.unique().numel() == len(y)          # disjoint and covering
    n = len(y)
    n_test = int(np.ceil(test * n)) if isinstance(test, float) else test
    n_val = int(np.ceil(val * n)) if isinstance(val, float) else val
    assert len(parts["test"]) == n_test and len(parts["val"]) == n_val
    counts = np.bincount(y.numpy(), minlength=7)
    for name, size in (("test", n_test), ("val", n_val)):
        got = np.bincount(y[parts[name]].numpy(), minlength=7)
        assert np.abs(got - counts * size / n).max() < 1                   # within one example
    # sklearn's stratified train_test_split gives the same per-class test counts (within 1)
    _, sk_test = train_test_split(np.arange(n), test_size=n_test, stratify=y.numpy(), random_state=0)
    sk_counts = np.bincount(y.numpy()[sk_test], minlength=7)
    assert np.abs(np.bincount(y[parts["test"]].numpy(), minlength=7) - sk_counts).max() <= 1


@pytest.mark.syllabus("foundations.train_val_test_split")
def test_seeded():
    y = _labels()
    a = train_val_test_split(y, seed=5)
    b = train_val_test_split(y, seed=5)
    c = train_val_test_split(y, seed=6)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["test"], c["test"])


def test_plain_random_split():
    parts = train_val_test_split(100, val=10, test=0.3, seed=0)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [60, 10, 30]
    assert torch.cat(list(parts.values())).unique().numel() == 100


def test_bad_arguments():
    with pytest.raises(ValueError, match="test"):
        train_val_test_split(_labels(), test=1.5)
    with pytest.raises(ValueError, match="val/test"):
        train_val_test_split(_labels(), val=300, test=300)
    with pytest.raises(ValueError, match="seed"):
        train_val_test_split(_labels(), seed=-1)
    with pytest.raises(ValueError, match="labels_or_n"):
        train_val_test_split(torch.zeros(3, 3))
