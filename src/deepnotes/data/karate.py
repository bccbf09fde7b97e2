"""Zachary's karate club (networkx) as a graph in PyTorch Geometric's layout.

34 members, 78 friendships stored in both directions (``edge_index`` (2, 156)), one-hot node
features ``x`` = I_34, and ``y`` the faction each member joined after the split (0 = Mr. Hi's,
1 = the Officer's). The usual semi-supervised setting labels one member per faction: the
instructor (node 0) and the administrator (node 33) form ``train_mask``; the rest ``test_mask``.
The graph is transductive: every split returns the same graph with its masks.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core import expect
from .registry import register_dataset

__all__ = ["GraphData", "load_karate"]


@dataclass
class GraphData:
    """Node features ``x`` (N, F), ``edge_index`` (2, E), labels ``y`` (N,), boolean masks (N,)."""

    x: torch.Tensor
    edge_index: torch.Tensor
    y: torch.Tensor
    train_mask: torch.Tensor
    test_mask: torch.Tensor

    @property
    def num_nodes(self) -> int:
        return self.x.shape[0]

    @property
    def num_edges(self) -> int:
        return self.edge_index.shape[1]


@register_dataset("karate", description="Zachary's karate club graph (34 nodes, 78 edges, 2 factions)",
                  splits=("train", "val", "test", "all"), tags=("graph",))
def load_karate(split: str = "all") -> GraphData:
    """The whole karate-club graph (see module docstring); ``split`` is checked, not used."""
    expect(split in ("train", "val", "test", "all"), "split", "one of ('train', 'val', 'test', 'all')", split)
    import networkx as nx

    g = nx.karate_club_graph()
    edges = torch.tensor(sorted(g.edges()), dtype=torch.long).T                # (2, 78)
    edge_index = torch.cat([edges, edges.flip(0)], dim=1)                       # (2, 156) both directions
    y = torch.tensor([0 if g.nodes[i]["club"] == "Mr. Hi" else 1 for i in range(g.number_of_nodes())])
    train = torch.zeros(len(y), dtype=torch.bool)
    train[[0, 33]] = True
    return GraphData(torch.eye(len(y)), edge_index, y, train, ~train)
