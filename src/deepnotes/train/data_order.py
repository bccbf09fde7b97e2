"""The order in which training examples are visited, a pure function of (seed, epoch).

Epoch e shuffles with a generator seeded from the pair (seed, e) (NumPy's SeedSequence mixes
them), never from the global RNG. So the batches of epoch e do not depend on what ran before:
a run resumed at epoch e sees exactly the batches an uninterrupted run sees.
"""
from __future__ import annotations

import numpy as np
import torch

from ..core import expect

__all__ = ["epoch_generator", "epoch_batches"]


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU torch.Generator seeded by the pair (seed, epoch)."""
    expect(isinstance(seed, int) and seed >= 0, "seed", "a non-negative int", seed)
    expect(isinstance(epoch, int) and epoch >= 0, "epoch", "a non-negative int", epoch)
    mixed = int(np.random.SeedSequence([seed, epoch]).generate_state(1, np.uint64)[0]) >> 1
    return torch.Generator().manual_seed(mixed)


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, shuffle: bool = True,
                  drop_last: bool = False) -> list[torch.Tensor]:
    """Index tensors of the batches of one epoch over ``n`` examples."""
    expect(isinstance(batch_size, int) and batch_size >= 1, "batch_size", "an int >= 1", batch_size)
    order = torch.randperm(n, generator=epoch_generator(seed, epoch)) if shuffle else torch.arange(n)  # (n,)
    batches = list(order.split(batch_size))
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    return batches
