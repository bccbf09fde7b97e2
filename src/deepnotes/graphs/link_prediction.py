"""Link-prediction split and negative sampling for an undirected graph.

Syllabus: graphs.link_prediction_split. Notes: 001 S19.13.

Each undirected edge {u, v} is assigned once, at random, to train, validation or test. The
training graph (both directions of the training edges) is what the encoder may see, so held-out
edges are absent from it. Negatives for validation/test are node pairs that are not edges of
the FULL graph (no self loops, no duplicates), as many as the positives.

``keep_connected=True`` holds out only edges whose removal leaves the training graph with as many
connected components as the full graph (the protocol of node2vec, Grover & Leskovec 2016): no
node loses all its edges, so every node keeps a neighbourhood for the encoder to read. Edges are
tried in random order and a bridge of the residual graph is kept for training; a graph without
enough non-bridge edges raises an error.
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
               generator: torch.Generator | None = None, keep_connected: bool = False) -> LinkSplit:
    """Split the undirected edges of ``edge_index`` into train / val / test with negatives.

    ``keep_connected``: hold out only edges whose removal keeps the training graph's components.
    """
    check_edge_index(edge_index, num_nodes)
    expect(0 <= val_ratio and 0 < test_ratio and val_ratio + test_ratio < 1, "val_ratio, test_ratio",
           "non-negative ratios with 0 < test and a sum < 1", (val_ratio, test_ratio))
    u, v = edge_index
    und = torch.unique(torch.minimum(u, v) * num_nodes + torch.maximum(u, v))    # one per edge
    und = und[(und // num_nodes) != (und % num_nodes)]
    pairs = torch.stack([und // num_nodes, und % num_nodes])                    # (2, E) with u < v
    perm = torch.randperm(pairs.size(1), generator=generator)
    n_val, n_test = int(round(val_ratio * pairs.size(1))), int(round(test_ratio * pairs.size(1)))
    if keep_connected:
        perm = _held_out_first(pairs, num_nodes, perm, n_val + n_test)
    val, test, train = (pairs[:, perm[:n_val]], pairs[:, perm[n_val:n_val + n_test]],
                        pairs[:, perm[n_val + n_test:]])
    neg = negative_sampling(pairs, num_nodes, n_val + n_test, generator)
    return LinkSplit(torch.cat([train, train.flip(0)], dim=1), train, val, neg[:, :n_val], test,
                     neg[:, n_val:])


def _components(pairs: torch.Tensor, num_nodes: int, keep: list[bool]) -> int:
    """Connected components of the graph on ``num_nodes`` nodes with the kept undirected edges."""
    parent = list(range(num_nodes))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    count = num_nodes
    for (a, b), k in zip(pairs.t().tolist(), keep):
        ra, rb = find(a), find(b)
        if k and ra != rb:
            parent[ra], count = rb, count - 1
    return count


def _held_out_first(pairs: torch.Tensor, num_nodes: int, perm: torch.Tensor, n_out: int) -> torch.Tensor:
    """Reorder ``perm`` so its first ``n_out`` edges can all be removed without splitting a component."""
    keep = [True] * pairs.size(1)
    target = _components(pairs, num_nodes, keep)
    out: list[int] = []
    for i in perm.tolist():
        if len(out) == n_out:
            break
        keep[i] = False
        if _components(pairs, num_nodes, keep) == target:
            out.append(i)
        else:
            keep[i] = True                                                      # a bridge: stays in train
    expect(len(out) == n_out, "val_ratio, test_ratio",
           f"at most {len(out)} removable (non-bridge) edges with keep_connected=True", n_out)
    rest = [i for i in perm.tolist() if keep[i]]
    return torch.tensor(out + rest, dtype=torch.long)
