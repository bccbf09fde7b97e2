"""One generator per (seed, split), so a synthetic set's train/val/test never share draws."""
from __future__ import annotations

import torch

from ..core import expect

SPLIT_OFFSETS = {"train": 0, "val": 1, "test": 2}


def split_generator(seed: int, split: str, splits: tuple[str, ...] = ("train", "val", "test")) -> torch.Generator:
    """A CPU generator seeded by ``seed`` and the split's position (train 0, val 1, test 2)."""
    expect(split in splits, "split", f"one of {splits}", split)
    expect(isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0, "seed", "a non-negative int", seed)
    return torch.Generator().manual_seed(seed * len(splits) + splits.index(split))


def check_count(value: int, name: str, low: int = 1) -> None:
    expect(isinstance(value, int) and not isinstance(value, bool) and value >= low, name,
           f"an int >= {low}", value)
