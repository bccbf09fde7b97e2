"""scikit-learn's 8x8 handwritten digits with a fixed stratified train/val/test split.

1,797 images, 10 classes, pixel values 0..16 scaled to [0, 1]. The split is stratified and
fixed by ``split_seed`` (default 0): 60% train, 20% validation, 20% test.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .registry import register_dataset

__all__ = ["load_digits"]


@functools.lru_cache(maxsize=4)
def _split_indices(split_seed: int) -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    y = sk_digits().target
    idx = np.arange(len(y))
    train, rest = train_test_split(idx, test_size=0.4, stratify=y, random_state=split_seed)
    val, test = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=split_seed)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test), "all": idx}


@register_dataset("digits", description="scikit-learn 8x8 handwritten digits (1,797 images, 10 classes)",
                  splits=("train", "val", "test", "all"), tags=("image", "classification"))
def load_digits(split: str = "train", flatten: bool = False, split_seed: int = 0) -> TensorDataset:
    """A TensorDataset of (image, label): images (N, 1, 8, 8) float32 in [0, 1], or (N, 64) flat."""
    from sklearn.datasets import load_digits as sk_digits

    parts = _split_indices(split_seed)
    if split not in parts:
        raise ValueError(f"split: expected one of {sorted(parts)}, got {split!r}")
    d = sk_digits()
    idx = parts[split]
    x = torch.tensor(d.images[idx] / 16.0, dtype=torch.float32)  # (N, 8, 8)
    x = x.reshape(len(idx), 64) if flatten else x.unsqueeze(1)   # (N, 64) or (N, 1, 8, 8)
    y = torch.tensor(d.target[idx], dtype=torch.long)            # (N,)
    return TensorDataset(x, y)
