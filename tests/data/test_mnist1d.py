"""MNIST-1D: the published generator's arrays, sizes, classes and split hygiene."""
import numpy as np
import pytest
import torch

from deepnotes.data import load, make_mnist1d, mnist1d_templates


@pytest.mark.syllabus("training.image_classification_data")
def test_sizes_shapes_and_classes():
    d = make_mnist1d()
    assert d["x"].shape == (4000, 40) and d["x_test"].shape == (1000, 40)
    assert set(np.unique(d["y"])) == set(range(10))
    # the generator makes 500 per class before shuffling
    assert np.bincount(np.concatenate([d["y"], d["y_test"]])).tolist() == [500] * 10
    x = np.concatenate([d["x"], d["x_test"]])
    assert abs(x.mean()) < 1e-6 and abs(x.std() - 1) < 1e-6
    tr, va, te, tv = (load("mnist1d", split=s) for s in ("train", "val", "test", "trainval"))
    assert tr.tensors[0].shape == (3500, 1, 40) and va.tensors[0].shape == (500, 1, 40)
    assert te.tensors[0].shape == (1000, 1, 40) and tv.tensors[0].shape == (4000, 1, 40)
    assert load("mnist1d", split="test", flatten=True).tensors[0].shape == (1000, 40)
    assert torch.equal(te.tensors[1], torch.tensor(d["y_test"]))
    # val is carved from train: train + val rows are exactly the 4,000 training rows
    rows = torch.cat([tr.tensors[0], va.tensors[0]]).squeeze(1)
    assert torch.equal(torch.sort(rows[:, 0]).values, torch.sort(tv.tensors[0][:, 0, 0]).values)
    # val is stratified: each class within one example of its share of the 4,000
    assert np.abs(np.bincount(va.tensors[1].numpy()) - np.bincount(d["y"]) * 500 / 4000).max() < 1


def test_templates_start_at_zero():
    t = mnist1d_templates()
    assert t.shape == (10, 12) and np.allclose(t[:, 0], 0)


def test_equals_reference_package():
    """Same seed, same draw order: our arrays equal the mnist1d package's make_dataset()."""
    ref_data = pytest.importorskip("mnist1d.data")
    ref = ref_data.make_dataset()
    ours = make_mnist1d()
    np.testing.assert_allclose(ours["x"], ref["x"], atol=1e-10)
    np.testing.assert_allclose(ours["x_test"], ref["x_test"], atol=1e-10)
    assert (ours["y"] == ref["y"]).all() and (ours["y_test"] == ref["y_test"]).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        load("mnist1d", split="training")
    with pytest.raises(ValueError, match="val_size"):
        load("mnist1d", val_size=5000)
