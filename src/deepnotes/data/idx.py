"""MNIST and Fashion-MNIST: the IDX file format and the on-demand loaders.

IDX (LeCun's format): two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions d, then d big-endian uint32
sizes, then the values big-endian in C order. Files may be gzip-compressed (``.gz``).
Images are scaled to [0, 1] and shaped (N, 1, 28, 28); the validation split is carved from
the 60,000 training images, stratified and seeded.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ..core import DataError, expect
from .download import fetch
from .registry import register_dataset
from .splits import train_val_test_split

__all__ = ["read_idx", "load_mnist", "load_fashion_mnist"]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_SPLITS = ("train", "val", "test", "trainval")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally .gz) into a NumPy array of its declared type and shape."""
    path = Path(path)
    raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: expected an IDX file (magic 00 00 <type> <ndim>), got header {raw[:4].hex()}")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    head = 4 + 4 * ndim
    shape = tuple(int(v) for v in np.frombuffer(raw[4:head], dtype=">u4"))
    expected = head + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path}: expected {expected} bytes for shape {shape}, got {len(raw)}")
    return np.frombuffer(raw[head:], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _load(name: str, split: str, val_size: int, split_seed: int) -> TensorDataset:
    expect(split in _SPLITS, "split", f"one of {_SPLITS}", split)
    folder = fetch(name)
    prefix = "t10k" if split == "test" else "train"
    x = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")                   # (N, 28, 28) uint8
    y = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")                   # (N,)
    expect(len(x) == len(y), "files", "as many labels as images", (len(x), len(y)), DataError)
    if split in ("train", "val"):
        expect(isinstance(val_size, int) and 0 <= val_size < len(y), "val_size", f"an int in [0, {len(y)})", val_size)
        idx = train_val_test_split(torch.as_tensor(y.astype(np.int64)), val=val_size, test=0, seed=split_seed)[split]
        x, y = x[idx.numpy()], y[idx.numpy()]
    images = torch.tensor(x, dtype=torch.float32).unsqueeze(1) / 255.0       # (N, 1, 28, 28)
    return TensorDataset(images, torch.tensor(y, dtype=torch.long))


@register_dataset("mnist", description="MNIST handwritten digits (60k/10k, 28x28); downloaded on demand",
                  embedded=False, splits=_SPLITS, tags=("image", "classification"))
def load_mnist(split: str = "train", val_size: int = 5000, split_seed: int = 0) -> TensorDataset:
    """TensorDataset (images (N, 1, 28, 28) in [0, 1], labels (N,)); fetches into the cache once."""
    return _load("mnist", split, val_size, split_seed)


@register_dataset("fashion-mnist", description="Fashion-MNIST clothing images (60k/10k, 28x28); downloaded on demand",
                  embedded=False, splits=_SPLITS, tags=("image", "classification"))
def load_fashion_mnist(split: str = "train", val_size: int = 5000, split_seed: int = 0) -> TensorDataset:
    """TensorDataset (images (N, 1, 28, 28) in [0, 1], labels (N,)); fetches into the cache once."""
    return _load("fashion-mnist", split, val_size, split_seed)
