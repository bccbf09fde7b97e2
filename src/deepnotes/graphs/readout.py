"""Graph readout: one vector per graph from its node representations.

Syllabus: graphs.graph_readout. Notes: 000 L4.46; 001 S19.07, S19.22.

    h_G = sum_v h_v,   mean_v h_v,   or max_v h_v (elementwise)

``batch`` (N,) says which graph each node belongs to (PyG's convention), so one call reduces a
whole minibatch of graphs to (G, C). Any permutation of the nodes gives the same h_G.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from .aggregate import scatter

__all__ = ["global_add_pool", "global_mean_pool", "global_max_pool", "global_pool"]


@syllabus("graphs.graph_readout")
def global_pool(x: torch.Tensor, batch: torch.Tensor | None = None, reduce: str = "mean",
                size: int | None = None) -> torch.Tensor:
    """x (N, C) -> (G, C), reducing the nodes of each graph with sum, mean or max."""
    expect(reduce in ("sum", "mean", "max"), "reduce", "'sum', 'mean' or 'max'", reduce)
    if batch is None:
        batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
    expect(batch.shape == (x.size(0),), "batch", f"shape ({x.size(0)},)", tuple(batch.shape))
    size = size if size is not None else int(batch.max()) + 1 if batch.numel() else 0
    return scatter(x, batch, size, reduce)


def global_add_pool(x: torch.Tensor, batch: torch.Tensor | None = None, size: int | None = None) -> torch.Tensor:
    return global_pool(x, batch, "sum", size)


def global_mean_pool(x: torch.Tensor, batch: torch.Tensor | None = None, size: int | None = None) -> torch.Tensor:
    return global_pool(x, batch, "mean", size)


def global_max_pool(x: torch.Tensor, batch: torch.Tensor | None = None, size: int | None = None) -> torch.Tensor:
    return global_pool(x, batch, "max", size)
