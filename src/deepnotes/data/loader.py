"""A DataLoader whose batch order depends only on (seed, epoch).

Each pass over the loader is one epoch: the order of epoch e is the permutation drawn by a
generator seeded with ``seed`` and ``e`` (as DistributedSampler does), so resuming at epoch e
reproduces it without replaying earlier epochs. ``set_epoch(e)`` jumps there.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..core import expect

__all__ = ["SeededSampler", "make_loader"]


class SeededSampler(Sampler[int]):
    """Indices 0..n-1, shuffled by (seed, epoch) when ``shuffle``; the epoch advances after each pass."""

    def __init__(self, n: int, shuffle: bool = True, seed: int = 0):
        expect(isinstance(n, int) and n >= 0, "n", "a non-negative dataset length", n)
        expect(isinstance(seed, int) and seed >= 0, "seed", "a non-negative int", seed)
        self.n, self.shuffle, self.seed, self.epoch = n, shuffle, seed, 0

    def set_epoch(self, epoch: int) -> None:
        expect(isinstance(epoch, int) and epoch >= 0, "epoch", "a non-negative int", epoch)
        self.epoch = epoch

    def order(self, epoch: int) -> torch.Tensor:
        """The index order of ``epoch`` (n,)."""
        if not self.shuffle:
            return torch.arange(self.n)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g)

    def __iter__(self) -> Iterator[int]:
        idx = self.order(self.epoch)
        self.epoch += 1
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.n


def make_loader(dataset: Dataset, batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False,
                collate_fn: Callable | None = None, num_workers: int = 0) -> DataLoader:
    """A DataLoader over ``dataset`` with a :class:`SeededSampler` (``loader.sampler.set_epoch(e)``)."""
    expect(isinstance(batch_size, int) and batch_size >= 1, "batch_size", "a positive int", batch_size)
    n = len(dataset)  # type: ignore[arg-type]
    expect(not drop_last or n >= batch_size, "batch_size", f"at most the dataset size {n} with drop_last", batch_size)
    return DataLoader(dataset, batch_size=batch_size, sampler=SeededSampler(n, shuffle, seed), drop_last=drop_last,
                      collate_fn=collate_fn, num_workers=num_workers)
