"""sklearn digits: sizes, classes, fixed stratified split, resize/pad keep the label order."""
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits as sk_digits

from deepnotes.data import load


@pytest.mark.syllabus("training.image_classification_data")
def test_digits_shapes_classes_counts():
    full = load("digits", split="all")
    assert full.tensors[0].shape == (1797, 1, 8, 8)
    ref = sk_digits()
    assert torch.allclose(full.tensors[0][:, 0], torch.tensor(ref.images / 16, dtype=torch.float32))
    assert torch.equal(full.tensors[1], torch.as_tensor(ref.target))
    assert full.tensors[1].unique().tolist() == list(range(10))
    sizes = [len(load("digits", split=s)) for s in ("train", "val", "test")]
    assert sizes == [1078, 359, 360]
    assert load("digits", split="val", flatten=True).tensors[0].shape == (359, 64)


@pytest.mark.syllabus("training.image_classification_data")
def test_resize_and_pad_preserve_label_order():
    base = load("digits", split="train")
    big = load("digits", split="train", resize=28, pad=2)
    assert big.tensors[0].shape == (len(base), 1, 32, 32)
    assert torch.equal(big.tensors[1], base.tensors[1])
    # the border is zero and the per-image mean brightness follows the 8x8 image
    assert big.tensors[0][:, :, :2].abs().max() == 0
    inner = big.tensors[0][:, 0, 2:-2, 2:-2].mean((1, 2))
    corr = np.corrcoef(inner.numpy(), base.tensors[0].mean((1, 2, 3)).numpy())[0, 1]
    assert corr > 0.99


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        load("digits", split="dev")
    with pytest.raises(ValueError, match="resize"):
        load("digits", resize=0)
    with pytest.raises(ValueError, match="pad"):
        load("digits", pad=-1)
