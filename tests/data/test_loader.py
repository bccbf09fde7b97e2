"""Seeded loader: order depends only on (seed, epoch); digits and mnist1d loaders' shapes and counts."""
import pytest
import torch
from torch.utils.data import TensorDataset

from deepnotes.data import load, make_loader


def _order(loader):
    return torch.cat([b[0] for b in loader]).tolist()


def test_order_depends_on_seed_and_epoch_only():
    ds = TensorDataset(torch.arange(50))
    a, b = make_loader(ds, 8, seed=1), make_loader(ds, 8, seed=1)
    e0, e1 = _order(a), _order(a)
    assert e0 == _order(b) and e1 == _order(b) and e0 != e1
    assert sorted(e0) == list(range(50))
    c = make_loader(ds, 8, seed=1)
    c.sampler.set_epoch(1)
    assert _order(c) == e1                                                     # resume straight at epoch 1
    assert _order(make_loader(ds, 8, seed=2)) != e0
    assert _order(make_loader(ds, 8, shuffle=False)) == list(range(50))
    assert [len(x[0]) for x in make_loader(ds, 8, drop_last=True)] == [8] * 6


@pytest.mark.syllabus("training.image_classification_data")
@pytest.mark.parametrize("name,shape,n", [("digits", (1, 8, 8), 1078), ("mnist1d", (1, 40), 3500)])
def test_image_classification_loaders(name, shape, n):
    ds = load(name, split="train")
    loader = make_loader(ds, 64, seed=0)
    xs, ys = zip(*loader)
    x, y = torch.cat(xs), torch.cat(ys)
    assert x.shape == (n, *shape) and x.dtype == torch.float32 and y.dtype == torch.long
    assert y.unique().tolist() == list(range(10))
    assert torch.equal(torch.bincount(y), torch.bincount(ds.tensors[1]))


def test_bad_arguments():
    ds = TensorDataset(torch.arange(5))
    with pytest.raises(ValueError, match="batch_size"):
        make_loader(ds, 0)
    with pytest.raises(ValueError, match="batch_size"):
        make_loader(ds, 10, drop_last=True)
    with pytest.raises(ValueError, match="seed"):
        make_loader(ds, 2, seed=-3)
