"""Mini-batch stochastic gradient descent: epochs of shuffled, consecutive batches.

Syllabus: optimization.minibatch_sgd. Notes: 000 L1.28-29, L2.32, L2.37; 001 S4.07, S4.14-15,
S5.02-05; 002 §3.4a, §3.4c-e; 003 L6.11, L12D.09.

One epoch: shuffle the N example indices once, cut them into consecutive chunks of B (the last
one may be shorter), and for each chunk take one step on the batch-mean gradient

    g = (1/|batch|) sum_{i in batch} grad l_i(theta),     theta <- optimizer step with g

so every example is used exactly once per epoch and an epoch makes ceil(N / B) updates. B = 1 is
stochastic gradient descent, B = N (no shuffle needed) full-batch gradient descent.

How the notes differ: 001 S4.14 step 5 writes dJ/dW for dJ_i/dW; 002 §3.4d drops the nabla.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["epoch_batches", "train_epoch"]


@syllabus("optimization.minibatch_sgd")
def epoch_batches(n: int, batch_size: int, shuffle: bool = True,
                  generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """The ceil(n / batch_size) index batches of one epoch (one permutation, consecutive chunks)."""
    expect(isinstance(n, int) and n > 0, "n", "a positive number of examples", n)
    expect(isinstance(batch_size, int) and 1 <= batch_size, "batch_size", "a positive int", batch_size)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    return list(order.split(batch_size))


@syllabus("optimization.minibatch_sgd")
def train_epoch(model: torch.nn.Module, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor,
                optimizer: torch.optim.Optimizer, batch_size: int, shuffle: bool = True,
                generator: torch.Generator | None = None) -> dict[str, float]:
    """One epoch of mini-batch training; returns {'updates', 'mean_loss'}."""
    expect(len(x) == len(y), "y", f"as many targets as inputs ({len(x)})", len(y))
    batches = epoch_batches(len(x), batch_size, shuffle, generator)
    total = 0.0
    for idx in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])           # mean over the batch
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    assert len(batches) == math.ceil(len(x) / batch_size)
    return {"updates": float(len(batches)), "mean_loss": total / len(x)}
