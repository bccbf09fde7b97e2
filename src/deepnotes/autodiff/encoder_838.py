"""The 8-3-8 encoder: squeeze 8 one-hot patterns through 3 sigmoid units and reconstruct them.

Syllabus: autodiff.identity_838_task. Notes: 001 S6.08-09.

    inputs  x = the 8 one-hot vectors of length 8, targets = the inputs (identity map)
    h = sigmoid(x W1^T + b1)  (3 units),   logits = h W2^T + b2  (8 units)
    loss = cross-entropy(logits, argmax x)  (mean over the 8 patterns), minimised by plain GD

With 3 hidden units the network can only keep the 8 patterns apart by giving each a different
corner of the unit cube: backprop "discovers" a roughly binary 3-bit code (2^3 = 8). The notes'
table (e.g. 10000000 -> (.88, .05, .08)) is one run, not a target. ``train_838_encoders`` trains
several seeds at once (one batched network per seed) with torch autograd.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["identity_838_task", "Encoder838Result", "train_838_encoders"]


@syllabus("autodiff.identity_838_task")
def identity_838_task(n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets): both the (n, n) identity matrix, one one-hot pattern per row."""
    expect(isinstance(n, int) and n >= 2, "n", "an int >= 2", n)
    eye = torch.eye(n, dtype=torch.float64)
    return eye, eye.clone()


@dataclass
class Encoder838Result:
    hidden: torch.Tensor         # (S, 8, 3) hidden activations per seed and pattern
    reconstructed: torch.Tensor  # (S,) bool: every pattern's argmax output is its own index
    distinct_codes: torch.Tensor  # (S,) bool: the hidden codes rounded to {0,1} are 8 distinct codes
    losses: torch.Tensor         # (steps, S) training loss per step and seed

    @property
    def success(self) -> torch.Tensor:
        return self.reconstructed & self.distinct_codes


def train_838_encoders(seeds: int = 10, steps: int = 3000, lr: float = 5.0, hidden: int = 3,
                       seed: int = 0) -> Encoder838Result:
    """Train ``seeds`` independent 8-``hidden``-8 sigmoid networks by full-batch gradient descent."""
    expect(seeds >= 1, "seeds", "at least 1", seeds)
    x, target = identity_838_task()
    n = x.shape[0]
    labels = target.argmax(1)                                            # (8,)
    g = torch.Generator().manual_seed(seed)

    def uniform(*shape, fan_in):
        return ((torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1) / fan_in ** 0.5).requires_grad_()

    w1, b1 = uniform(seeds, hidden, n, fan_in=n), uniform(seeds, 1, hidden, fan_in=n)          # (S, H, 8)
    w2, b2 = uniform(seeds, n, hidden, fan_in=hidden), uniform(seeds, 1, n, fan_in=hidden)     # (S, 8, H)
    params = [w1, b1, w2, b2]
    losses = torch.empty(steps, seeds, dtype=torch.float64)
    for t in range(steps):
        h = torch.sigmoid(x @ w1.transpose(1, 2) + b1)                   # (S, 8, H)
        logits = h @ w2.transpose(1, 2) + b2                             # (S, 8, 8)
        per_seed = F.cross_entropy(logits.transpose(1, 2), labels.expand(seeds, n), reduction="none").mean(1)
        losses[t] = per_seed.detach()
        grads = torch.autograd.grad(per_seed.sum(), params)              # seeds are independent
        with torch.no_grad():
            for p, gp in zip(params, grads):
                p -= lr * gp
    with torch.no_grad():
        h = torch.sigmoid(x @ w1.transpose(1, 2) + b1)                   # (S, 8, H)
        out = (h @ w2.transpose(1, 2) + b2).argmax(-1)                   # (S, 8)
        reconstructed = (out == labels).all(1)
        codes = h.round()                                                # (S, 8, H) in {0, 1}
        distinct = torch.tensor([len({tuple(r.tolist()) for r in c}) == n for c in codes])
    return Encoder838Result(h, reconstructed, distinct, losses)
