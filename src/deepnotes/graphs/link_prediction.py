"""Link-prediction split and negative sampling for an undirected graph.

Syllabus: graphs.link_prediction_split. Notes: 001 S19.13.

Each undirected edge {u, v} is assigned once, at random, to train, validation or test. The
training graph (both directions of the training edges) is what the encoder may see, so held-out
edges are absent from it. Negatives for validation/test are node pairs that are not edges of
the FULL graph (no self loops, no duplicates), as many as the positives.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core import expect, syllabus
from .data import check_edge_index

__all__ = ["LinkSplit", "negative_sampling", "link_split"]


@dataclass
class LinkSplit:
    train_edge_index: torch.Tensor   # (2, 2 E_train): both directions, for message passing
    train_pos: torch.Tensor          # (2, E_train): one direction
    val_pos: torch.Tensor
    val_neg: torch.Tensor
    test_pos: torch.Tensor
    test_neg: torch.Tensor


@syllabus("graphs.link_prediction_split")
def negative_sampling(edge_index: torch.Tensor, num_nodes: int, num_samples: int,
                      generator: torch.Generator | None = None, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """(2, num_samples) distinct unordered pairs u < v that are not edges (nor in ``exclude``)."""
    check_edge_index(edge_index, num_nodes)
    ei = edge_index if exclude is None else torch.cat([edge_index, exclude], dim=1)
    key = lambda a, b: torch.minimum(a, b) * num_nodes + torch.maximum(a, b)
    taken = torch.unique(key(ei[0], ei[1]))
    taken = taken[(taken // num_nodes) != (taken % num_nodes)]
    free = num_nodes * (num_nodes - 1) // 2 - taken.numel()
    expect(num_samples <= free, "num_samples", f"at most {free} (the non-edges left)", num_samples)
    found = torch.zeros(0, dtype=torch.long)
    while found.numel() < num_samples:
        cand = torch.randint(num_nodes, (2, 2 * num_samples + 16), generator=generator)
        k = key(cand[0], cand[1])
        k = k[(cand[0] != cand[1]) & ~torch.isin(k, taken) & ~torch.isin(k, found)]
        k, first = _unique_in_order(k)
        found = torch.cat([found, k])
    found = found[:num_samples]
    return torch.stack([found // num_nodes, found % num_nodes])


def _unique_in_order(k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct values of ``k`` in order of first appearance (keeps the sampling random)."""
    uniq, inv = torch.unique(k, return_inverse=True)
    first = torch.full((uniq.numel(),), k.numel(), dtype=torch.long).scatter_reduce(
        0, inv, torch.arange(k.numel()), reduce="amin")
    order = torch.sort(first).values
    return k[order], order


@syllabus("graphs.link_prediction_split")
def link_split(edge_index: torch.Tensor, num_nodes: int, val_ratio: float = 0.05, test_ratio: float = 0.15,
               generator: torch.Generator | None = None) -> LinkSplit:
    """Split the undirected edges of ``edge_index`` into train / val / test with negatives."""
    check_edge_index(edge_index, num_nodes)
    expect(0 <= val_ratio and 0 < test_ratio and val_ratio + test_ratio < 1, "val_ratio, test_ratio",
           "non-negative ratios with 0 < test and a sum < 1", (val_ratio, test_ratio))
    u, v = edge_index
    und = torch.unique(torch.minimum(u, v) * num_nodes + torch.maximum(u, v))    # one per edge
    und = und[(und // num_nodes) != (und % num_nodes)]
    pairs = torch.stack([und // num_nodes, und % num_nodes])                    # (2, E) with u < v
    perm = torch.randperm(pairs.size(1), generator=generator)
    n_val, n_test = int(round(val_ratio * pairs.size(1))), int(round(test_ratio * pairs.size(1)))
    val, test, train = (pairs[:, perm[:n_val]], pairs[:, perm[n_val:n_val + n_test]],
                        pairs[:, perm[n_val + n_test:]])
    neg = negative_sampling(pairs, num_nodes, n_val + n_test, generator)
    return LinkSplit(torch.cat([train, train.flip(0)], dim=1), train, val, neg[:, :n_val], test,
                     neg[:, n_val:])
