"""The data order is a pure function of (seed, epoch)."""
import pytest
import torch

from deepnotes.train import epoch_batches, epoch_generator


def test_order_depends_only_on_seed_and_epoch():
    a = epoch_batches(103, 10, seed=4, epoch=2)
    torch.manual_seed(999)                                  # the global RNG plays no part
    b = epoch_batches(103, 10, seed=4, epoch=2)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert sorted(torch.cat(a).tolist()) == list(range(103))   # a permutation
    assert [len(x) for x in a] == [10] * 10 + [3]
    c = epoch_batches(103, 10, seed=4, epoch=3)
    d = epoch_batches(103, 10, seed=5, epoch=2)
    assert not torch.equal(torch.cat(a), torch.cat(c)) and not torch.equal(torch.cat(a), torch.cat(d))


def test_drop_last_and_no_shuffle():
    assert [len(x) for x in epoch_batches(103, 10, 0, 0, drop_last=True)] == [10] * 10
    assert torch.equal(torch.cat(epoch_batches(7, 3, 0, 0, shuffle=False)), torch.arange(7))


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        epoch_batches(10, 0, 0, 0)
    with pytest.raises(ValueError, match="seed"):
        epoch_generator(-1, 0)
    with pytest.raises(ValueError, match="epoch"):
        epoch_generator(0, -2)
