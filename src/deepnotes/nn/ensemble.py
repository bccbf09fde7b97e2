"""Ensembles: soft/hard voting, bagging, shared-trunk multi-head, snapshots and weight averaging.

Syllabus: training.ensemble_averaging, training.bagging, training.multihead_ensemble,
training.snapshot_ensemble, training.weight_averaging.
Notes: 001 S8.06; 002 §4.6a-§4.6h, P15.

    soft vote     p(y|x) = (1/M) sum_j p_j(y|x)                 (an average of distributions)
    hard vote     y = argmax_c #{j : argmax p_j(.|x) = c}       (ties go to the smaller label)
    bagging       member j sees N draws with replacement from the N examples; a bag holds
                  1 - (1 - 1/N)^N ~ 1 - 1/e ~ 63.2% distinct examples
    multi-head    f(x) = (1/M) sum_j head_j(trunk(x))           one trunk, M heads
    snapshots     keep copies theta_k along one run (e.g. at the minima of a cyclic LR) and
                  soft-vote their predictions
    averaging     theta_bar = (1/K) sum_k theta_k, kept as a running mean
                  theta_bar <- theta_bar + (theta_k - theta_bar) / (k + 1); then recompute the
                  batch-norm statistics of the averaged weights with one pass over the data

By Jensen's inequality (-log is convex) the soft-vote NLL is never above the members' mean NLL.
Diversity comes from different data (bagging) or from seeds, shuffling and SGD noise.
Voting equals sklearn's VotingClassifier, averaging equals torch.optim.swa_utils.AveragedModel and
update_bn (tests/nn/test_ensemble.py).
"""
from __future__ import annotations

import copy
import math
from typing import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .normalization import _BatchNorm

__all__ = ["soft_vote", "hard_vote", "VotingEnsemble", "bootstrap_indices", "bagging_indices",
           "MultiHeadEnsemble", "SnapshotEnsemble", "snapshot_lr", "AveragedModel", "update_bn"]


@syllabus("training.ensemble_averaging")
def soft_vote(probs: Tensor | Sequence[Tensor]) -> Tensor:
    """Mean of M members' class probabilities: (M, N, C) -> (N, C)."""
    p = torch.stack(list(probs)) if not isinstance(probs, Tensor) else probs
    expect(p.dim() == 3, "probs", "M tensors shaped (N, C), stacked to (M, N, C)", tuple(p.shape))
    return p.mean(0)                                            # (N, C)


@syllabus("training.ensemble_averaging")
def hard_vote(preds: Tensor | Sequence[Tensor], num_classes: int) -> Tensor:
    """Majority vote over M members' labels: (M, N) -> (N,); ties go to the smallest label."""
    y = torch.stack(list(preds)) if not isinstance(preds, Tensor) else preds
    expect(y.dim() == 2 and not y.is_floating_point(), "preds", "integer labels shaped (M, N)",
           (tuple(y.shape), y.dtype))
    expect(int(y.min()) >= 0 and int(y.max()) < num_classes, "preds",
           f"labels in [0, {num_classes})", (int(y.min()), int(y.max())))
    counts = F.one_hot(y, num_classes).sum(0)                   # (N, C) votes per class
    return counts.argmax(1)                                     # first maximum = smallest label


@syllabus("training.ensemble_averaging")
class VotingEnsemble(nn.Module):
    """Members map x to logits; ``forward`` returns the soft-vote probabilities (N, C)."""

    def __init__(self, members: Iterable[nn.Module], voting: str = "soft"):
        super().__init__()
        self.members = nn.ModuleList(members)
        expect(len(self.members) > 0, "members", "at least one model", 0)
        expect(voting in ("soft", "hard"), "voting", "'soft' or 'hard'", voting)
        self.voting = voting

    def member_probs(self, x: Tensor) -> Tensor:
        return torch.stack([m(x).softmax(-1) for m in self.members])   # (M, N, C)

    def forward(self, x: Tensor) -> Tensor:
        return soft_vote(self.member_probs(x))

    def predict(self, x: Tensor) -> Tensor:
        p = self.member_probs(x)
        if self.voting == "soft":
            return p.mean(0).argmax(-1)
        return hard_vote(p.argmax(-1), p.shape[-1])


@syllabus("training.bagging")
def bootstrap_indices(n: int, generator: torch.Generator | None = None) -> Tensor:
    """n indices drawn uniformly with replacement from range(n)."""
    expect(isinstance(n, int) and n > 0, "n", "a positive int", n)
    return torch.randint(0, n, (n,), generator=generator)


@syllabus("training.bagging")
def bagging_indices(n: int, num_bags: int, generator: torch.Generator | None = None) -> Tensor:
    """One bootstrap sample per member: (num_bags, n) indices."""
    expect(isinstance(num_bags, int) and num_bags > 0, "num_bags", "a positive int", num_bags)
    return torch.stack([bootstrap_indices(n, generator) for _ in range(num_bags)])


@syllabus("training.multihead_ensemble")
class MultiHeadEnsemble(nn.Module):
    """One shared ``trunk`` and M ``heads``; the output is the mean of the heads' outputs."""

    def __init__(self, trunk: nn.Module, heads: Iterable[nn.Module]):
        super().__init__()
        self.trunk, self.heads = trunk, nn.ModuleList(heads)
        expect(len(self.heads) > 0, "heads", "at least one head", 0)

    def head_outputs(self, x: Tensor) -> Tensor:
        h = self.trunk(x)                                       # (N, F) computed once
        return torch.stack([head(h) for head in self.heads])    # (M, N, C)

    def forward(self, x: Tensor) -> Tensor:
        return self.head_outputs(x).mean(0)                     # (N, C)


@syllabus("training.snapshot_ensemble")
class SnapshotEnsemble(nn.Module):
    """Frozen deep copies of one model taken during training; ``forward`` soft-votes them."""

    def __init__(self):
        super().__init__()
        self.snapshots = nn.ModuleList()

    def snapshot(self, model: nn.Module) -> nn.Module:
        copy_ = copy.deepcopy(model).eval().requires_grad_(False)   # later updates cannot reach it
        self.snapshots.append(copy_)
        return copy_

    def member_probs(self, x: Tensor) -> Tensor:
        expect(len(self.snapshots) > 0, "snapshots", "at least one snapshot() before forward", 0)
        return torch.stack([m(x).softmax(-1) for m in self.snapshots])   # (K, N, C)

    def forward(self, x: Tensor) -> Tensor:
        return soft_vote(self.member_probs(x))


@syllabus("training.snapshot_ensemble")
def snapshot_lr(step: int, total_steps: int, num_cycles: int, lr_max: float) -> float:
    """Cyclic cosine learning rate of snapshot ensembles (Huang et al. 2017).

    lr(t) = lr_max / 2 * (cos(pi * (t mod L) / L) + 1), L = ceil(total_steps / num_cycles);
    a snapshot is taken at the end of each cycle, where lr is near 0.
    """
    expect(0 < num_cycles <= total_steps, "num_cycles", f"an int in [1, total_steps={total_steps}]", num_cycles)
    cycle = math.ceil(total_steps / num_cycles)
    return lr_max / 2 * (math.cos(math.pi * (step % cycle) / cycle) + 1)


@syllabus("training.weight_averaging")
class AveragedModel(nn.Module):
    """Running mean of a model's parameters (torch.optim.swa_utils.AveragedModel's state layout)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", torch.tensor(0, dtype=torch.long))

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """theta_bar <- theta_bar + (theta - theta_bar) / (n + 1); the first call copies.

        Buffers (batch-norm statistics) are copied from ``model``, as torch does; recompute them
        for the averaged weights with :func:`update_bn`.
        """
        n = int(self.n_averaged)
        for p_avg, p in zip(self.module.parameters(), model.parameters()):
            p = p.detach().to(p_avg.device)
            if n == 0:
                p_avg.copy_(p)
            else:
                p_avg.add_((p - p_avg) / (n + 1))
        for b_avg, b in zip(self.module.buffers(), model.buffers()):   # buffers follow the model
            b_avg.copy_(b.detach().to(b_avg.device))
        self.n_averaged += 1


@syllabus("training.weight_averaging")
@torch.no_grad()
def update_bn(loader: Iterable, model: nn.Module, device: torch.device | None = None) -> None:
    """Recompute every batch-norm layer's running statistics as the plain average over ``loader``.

    Each item of ``loader`` is an input batch or a tuple/list whose first element is one.
    """
    bns = [m for m in model.modules() if isinstance(m, (_BatchNorm, nn.modules.batchnorm._BatchNorm))]
    if not bns:
        return
    momenta = {}
    for m in bns:
        m.reset_running_stats()
        momenta[m] = m.momentum
        m.momentum = None                                       # cumulative average
    was_training = model.training
    model.train()
    for batch in loader:
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        model(x.to(device) if device is not None else x)
    for m in bns:
        m.momentum = momenta[m]
    model.train(was_training)
