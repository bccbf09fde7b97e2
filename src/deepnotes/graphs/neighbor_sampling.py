"""Fixed-size neighbourhood sampling (GraphSAGE's minibatch trick).

Syllabus: graphs.neighbor_sampling. Notes: 001 S19.25.

For every target node draw exactly S neighbours: without replacement when deg >= S, with
replacement when 0 < deg < S (a node with no neighbour samples itself). Hop k uses S_k samples
(GraphSAGE: S_1 = 25, S_2 = 10), so a minibatch's computation graph has a fixed size
prod_k S_k per node however skewed the degrees are. Seeded by a ``torch.Generator``.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from .data import check_edge_index

__all__ = ["sample_neighbors", "sampled_edge_index", "sample_hops"]


def _neighbour_lists(edge_index: torch.Tensor, num_nodes: int) -> list[torch.Tensor]:
    src, dst = edge_index
    order = torch.argsort(dst, stable=True)
    counts = torch.bincount(dst, minlength=num_nodes).tolist()
    return list(torch.split(src[order], counts))


@syllabus("graphs.neighbor_sampling")
def sample_neighbors(edge_index: torch.Tensor, num_nodes: int, nodes: torch.Tensor, num_samples: int,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """(len(nodes), num_samples) neighbour ids: in-neighbours (edge source) of each node."""
    check_edge_index(edge_index, num_nodes)
    expect(num_samples >= 1, "num_samples", "an integer >= 1", num_samples)
    nbrs = _neighbour_lists(edge_index, num_nodes)
    out = torch.empty(len(nodes), num_samples, dtype=torch.long)
    for row, v in enumerate(nodes.tolist()):
        nb = nbrs[v]
        if nb.numel() == 0:
            out[row] = v
        elif nb.numel() >= num_samples:
            out[row] = nb[torch.randperm(nb.numel(), generator=generator)[:num_samples]]
        else:
            out[row] = nb[torch.randint(nb.numel(), (num_samples,), generator=generator)]
    return out


@syllabus("graphs.neighbor_sampling")
def sampled_edge_index(edge_index: torch.Tensor, num_nodes: int, num_samples: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """An edge_index in which every node receives exactly ``num_samples`` sampled in-edges."""
    nodes = torch.arange(num_nodes)
    samples = sample_neighbors(edge_index, num_nodes, nodes, num_samples, generator)  # (N, S)
    return torch.stack([samples.reshape(-1), nodes.repeat_interleave(num_samples)])


@syllabus("graphs.neighbor_sampling")
def sample_hops(edge_index: torch.Tensor, num_nodes: int, nodes: torch.Tensor, sizes: list[int],
                generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """Hop-by-hop samples: [(B, S_1), (B, S_1, S_2), ...] around the seed ``nodes`` (B,)."""
    layers, frontier = [], nodes
    for s in sizes:
        smp = sample_neighbors(edge_index, num_nodes, frontier.reshape(-1), s, generator)
        smp = smp.reshape(*frontier.shape, s)
        layers.append(smp)
        frontier = smp
    return layers
