"""CIFAR-10 from its binary version (no pickle): 60,000 32x32 colour images in 10 classes.

``cifar-10-binary.tar.gz`` holds ``cifar-10-batches-bin/data_batch_{1..5}.bin`` and
``test_batch.bin``; each record is 1 label byte then 3,072 pixel bytes: the 1,024 red values of
the 32x32 image row by row, then green, then blue. Members are read straight from the archive
(nothing is extracted to disk). Images are scaled to [0, 1], shaped (N, 3, 32, 32); the
validation split is carved from the 50,000 training images, stratified and seeded.
"""
from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ..core import DataError, expect
from .download import fetch
from .registry import register_dataset
from .splits import train_val_test_split

__all__ = ["CIFAR10_CLASSES", "read_cifar10_batch", "read_cifar10_archive", "load_cifar10"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_RECORD = 1 + 3 * 32 * 32
_SPLITS = ("train", "val", "test", "trainval")


def read_cifar10_batch(raw: bytes, what: str = "batch") -> tuple[np.ndarray, np.ndarray]:
    """Parse one binary batch: images (N, 3, 32, 32) uint8 and labels (N,) uint8."""
    if len(raw) % _RECORD:
        raise DataError(f"{what}: expected a multiple of {_RECORD} bytes, got {len(raw)}")
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _RECORD)              # (N, 3073)
    labels = rec[:, 0].copy()
    if labels.size and labels.max() > 9:
        raise DataError(f"{what}: expected labels 0..9, got {int(labels.max())}")
    return rec[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def read_cifar10_archive(path: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of ``split`` ('train' = the five data batches, 'test') from the tar.gz."""
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
    xs, ys = [], []
    with tarfile.open(Path(path), "r:gz") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
        for n in names:
            if n not in members:
                raise DataError(f"{path}: expected member {n} in the CIFAR-10 binary archive")
            x, y = read_cifar10_batch(tar.extractfile(members[n]).read(), n)
            xs.append(x)
            ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


@register_dataset("cifar10", description="CIFAR-10 colour images (50k/10k, 32x32, 10 classes); downloaded on demand",
                  embedded=False, splits=_SPLITS, tags=("image", "classification"))
def load_cifar10(split: str = "train", val_size: int = 5000, split_seed: int = 0) -> TensorDataset:
    """TensorDataset (images (N, 3, 32, 32) in [0, 1], labels (N,)); fetches into the cache once."""
    expect(split in _SPLITS, "split", f"one of {_SPLITS}", split)
    archive = fetch("cifar10") / "cifar-10-binary.tar.gz"
    x, y = read_cifar10_archive(archive, "test" if split == "test" else "train")
    if split in ("train", "val"):
        expect(isinstance(val_size, int) and 0 <= val_size < len(y), "val_size", f"an int in [0, {len(y)})", val_size)
        idx = train_val_test_split(torch.as_tensor(y.astype(np.int64)), val=val_size, test=0, seed=split_seed)[split]
        x, y = x[idx.numpy()], y[idx.numpy()]
    return TensorDataset(torch.tensor(x, dtype=torch.float32) / 255.0, torch.tensor(y, dtype=torch.long))
