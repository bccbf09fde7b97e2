"""scikit-learn's 8x8 handwritten digits with a fixed stratified train/val/test split.

Syllabus: training.image_classification_data (with :mod:`deepnotes.data.mnist1d`).
Notes: 001 S1.01-S1.02 and 002 §5.1h use MNIST (60k/10k, 28x28) and 003 L13 Omniglot, none of
which is available offline; these 1,797 8x8 digits stand in for them.

Pixel values 0..16 are scaled to [0, 1]. The split is stratified and fixed by ``split_seed``
(default 0): 60% train, 20% validation, 20% test = 1,078 / 359 / 360 images
(:func:`deepnotes.data.holdout_sizes`, :func:`deepnotes.data.train_val_test_split`).
``resize`` rescales the images bilinearly (e.g. 28 for MNIST-sized inputs) and ``pad`` adds a
zero border (28 + 2 * 2 = 32 for LeNet-5); neither changes the order of the examples or labels.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from ..core import expect, syllabus
from .registry import register_dataset
from .splits import holdout_sizes, train_val_test_split

__all__ = ["load_digits", "DIGITS_SPLITS"]

DIGITS_SPLITS = ("train", "val", "test", "all")


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    return d.images, d.target


@syllabus("training.image_classification_data")
@register_dataset("digits", description="scikit-learn 8x8 handwritten digits (1,797 images, 10 classes)",
                  splits=DIGITS_SPLITS, tags=("image", "classification"))
def load_digits(split: str = "train", flatten: bool = False, split_seed: int = 0,
                resize: int | None = None, pad: int = 0) -> TensorDataset:
    """A TensorDataset of (image, label): images (N, 1, S, S) float32 in [0, 1], or (N, S*S) flat.

    S = ``resize`` (default 8) + 2 ``pad``.
    """
    expect(split in DIGITS_SPLITS, "split", f"one of {DIGITS_SPLITS}", split)
    expect(resize is None or (isinstance(resize, int) and resize >= 1), "resize", "None or a positive int", resize)
    expect(isinstance(pad, int) and pad >= 0, "pad", "a non-negative int", pad)
    images, target = _digits()
    if split == "all":
        idx = np.arange(len(target))
    else:
        val, test = holdout_sizes(len(target))
        idx = train_val_test_split(torch.as_tensor(target), val=val, test=test, seed=split_seed)[split].numpy()
    x = torch.tensor(images[idx] / 16.0, dtype=torch.float32).unsqueeze(1)  # (N, 1, 8, 8)
    if resize is not None and resize != 8:
        x = F.interpolate(x, size=(resize, resize), mode="bilinear", align_corners=False)  # (N, 1, R, R)
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))                                    # (N, 1, R+2p, R+2p)
    if flatten:
        x = x.flatten(1)                                                      # (N, S*S)
    y = torch.tensor(target[idx], dtype=torch.long)                           # (N,)
    return TensorDataset(x, y)
