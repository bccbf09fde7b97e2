"""Disjoint, seeded, optionally stratified train / validation / test index splits.

Syllabus: foundations.train_val_test_split. Notes: 000 L2.01, L2.19; 001 S6.04, S8.39.

The n examples are cut into three disjoint index sets that cover them. The validation set
chooses models and checkpoints; the test set is looked at once, at the end. A split of size
n_s = ceil(f n) (for a fraction f) or n_s (for a count) is stratified by giving each class c
its share n_c n_s / n, rounded by largest remainder (Hamilton's method), so every class's count
is within one example of its exact proportion; which examples go where is a seeded permutation
within each class. The same labels and seed always give the same split.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from ..core import expect, syllabus

__all__ = ["train_val_test_split", "stratified_split", "holdout_sizes"]


def _size(part: float | int, n: int, name: str) -> int:
    if isinstance(part, bool) or not isinstance(part, (int, float)):
        raise ValueError(f"{name}: expected a fraction in [0, 1) or a count, got {part!r}")
    if isinstance(part, float):
        expect(0.0 <= part < 1.0, name, "a fraction in [0, 1) or an int count", part)
        return math.ceil(part * n)
    expect(0 <= part <= n, name, f"a count in [0, {n}]", part)
    return part


def _allocate(counts: np.ndarray, total: int, caps: np.ndarray) -> np.ndarray:
    """Split ``total`` over classes in proportion to ``counts`` (largest remainder), within ``caps``."""
    n = counts.sum()
    quota = counts * total / n if n else np.zeros(len(counts))
    take = np.minimum(np.floor(quota).astype(int), caps)
    order = np.lexsort((np.arange(len(counts)), -(quota - np.floor(quota))))  # biggest remainder first
    while take.sum() < total:
        moved = False
        for c in order:
            if take.sum() == total:
                break
            if take[c] < caps[c]:
                take[c] += 1
                moved = True
        expect(moved, "val/test", f"sizes that fit the {int(caps.sum())} remaining examples", total)
    return take


@syllabus("foundations.train_val_test_split")
def train_val_test_split(labels_or_n: torch.Tensor | Sequence[int] | int, val: float | int = 0.2,
                         test: float | int = 0.2, seed: int = 0, stratify: bool = True
                         ) -> dict[str, torch.Tensor]:
    """Disjoint sorted index tensors {'train', 'val', 'test'} covering every example.

    ``labels_or_n``: class labels (N,) to stratify by, or an int N for a plain random split.
    ``val`` / ``test``: fractions of N (rounded up) or counts.
    """
    if isinstance(labels_or_n, int) and not isinstance(labels_or_n, bool):
        expect(labels_or_n > 0, "labels_or_n", "a positive number of examples", labels_or_n)
        labels = np.zeros(labels_or_n, dtype=np.int64)
        stratify = False
    else:
        labels = np.asarray(torch.as_tensor(labels_or_n).cpu())
        expect(labels.ndim == 1 and len(labels) > 0, "labels_or_n", "a non-empty 1-D label tensor",
               f"shape {tuple(labels.shape)}")
    expect(isinstance(seed, int) and seed >= 0, "seed", "a non-negative int", seed)
    n = len(labels)
    n_test, n_val = _size(test, n, "test"), _size(val, n, "val")
    expect(n_test + n_val <= n, "val/test", f"together at most {n} examples", n_test + n_val)
    groups = np.unique(labels) if stratify else np.zeros(1, dtype=labels.dtype)
    members = [np.flatnonzero(labels == g) for g in groups] if stratify else [np.arange(n)]
    counts = np.array([len(m) for m in members])
    k_test = _allocate(counts, n_test, counts)
    k_val = _allocate(counts, n_val, counts - k_test)
    g = torch.Generator().manual_seed(seed)
    out: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for m, a, b in zip(members, k_test, k_val):
        perm = m[torch.randperm(len(m), generator=g).numpy()]
        out["test"].append(perm[:a])
        out["val"].append(perm[a:a + b])
        out["train"].append(perm[a + b:])
    return {k: torch.as_tensor(np.sort(np.concatenate(v)), dtype=torch.long) for k, v in out.items()}


def stratified_split(labels: torch.Tensor, val: float | int = 0.2, test: float | int = 0.2,
                     seed: int = 0) -> dict[str, torch.Tensor]:
    """:func:`train_val_test_split` stratified by ``labels`` (the name says what it does)."""
    return train_val_test_split(labels, val=val, test=test, seed=seed, stratify=True)


def holdout_sizes(n: int, holdout: float = 0.4) -> tuple[int, int]:
    """(val, test) counts of the 60 / 20 / 20 scheme: hold out ceil(0.4 n), half of it (rounded
    up) for test, the rest for validation (digits: 1,797 -> 1,078 / 359 / 360)."""
    expect(isinstance(n, int) and n > 0, "n", "a positive number of examples", n)
    expect(0 < holdout < 1, "holdout", "a fraction in (0, 1)", holdout)
    held = math.ceil(holdout * n)
    test = math.ceil(held / 2)
    return held - test, test
