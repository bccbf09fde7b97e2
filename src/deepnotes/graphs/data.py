"""Graph data: node features ``x`` and a COO ``edge_index`` as PyTorch Geometric stores them.

Syllabus: graphs.graph_data. Notes: 000 L4.04; 001 S19.01, S19.13.

A graph G = (V, E) with N nodes is held as

    x           (N, C)   node features
    edge_index  (2, E)   column e is a directed edge source -> target (row 0 -> row 1)
    y           (N,) or (1,)   node or graph labels (optional)
    edge_attr   (E, D)   edge features (optional)

An undirected graph stores both directions, so its dense adjacency A[i, j] = 1 for every edge
(i, j) is symmetric. Conversions to and from networkx and dense adjacency are here, as is
Zachary's karate club (34 members, 78 friendships, two factions after the split: 'Mr. Hi' = 0
and 'Officer' = 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..core import expect, syllabus

__all__ = ["Graph", "check_edge_index", "from_networkx", "to_networkx", "to_dense_adj",
           "dense_to_edge_index", "to_undirected", "add_self_loops", "remove_self_loops",
           "degree", "karate_club"]


def check_edge_index(edge_index: torch.Tensor, num_nodes: int, name: str = "edge_index") -> None:
    """Raise if ``edge_index`` is not a (2, E) integer tensor with entries in [0, num_nodes)."""
    expect(isinstance(edge_index, torch.Tensor), name, "a torch.Tensor of shape (2, E)", type(edge_index))
    expect(edge_index.dim() == 2 and edge_index.size(0) == 2, name, "shape (2, E)", tuple(edge_index.shape))
    expect(not edge_index.is_floating_point() and edge_index.dtype != torch.bool, name,
           "an integer tensor", edge_index.dtype)
    if edge_index.numel():
        lo, hi = int(edge_index.min()), int(edge_index.max())
        expect(lo >= 0 and hi < num_nodes, name, f"node indices in [0, {num_nodes})",
               f"indices in [{lo}, {hi}]")


def degree(index: torch.Tensor, num_nodes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """How often each node occurs in ``index`` (in-degree for index = edge_index[1])."""
    out = torch.zeros(num_nodes, dtype=dtype, device=index.device)              # (N,)
    return out.index_add_(0, index, torch.ones(index.numel(), dtype=dtype, device=index.device))


def remove_self_loops(edge_index: torch.Tensor) -> torch.Tensor:
    return edge_index[:, edge_index[0] != edge_index[1]]


def add_self_loops(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Drop existing self loops, then append (i, i) for every node (as PyG's add_self_loops)."""
    loops = torch.arange(num_nodes, device=edge_index.device).repeat(2, 1)      # (2, N)
    return torch.cat([remove_self_loops(edge_index), loops], dim=1)


def to_undirected(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Both directions of every edge, duplicates removed, sorted by (source, target)."""
    both = torch.cat([edge_index, edge_index.flip(0)], dim=1)                   # (2, 2E)
    key = torch.unique(both[0] * num_nodes + both[1])
    return torch.stack([key // num_nodes, key % num_nodes])


def to_dense_adj(edge_index: torch.Tensor, num_nodes: int | None = None,
                 edge_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Dense (N, N) adjacency with A[source, target] = weight (1 by default)."""
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
    check_edge_index(edge_index, num_nodes)
    w = edge_weight if edge_weight is not None else torch.ones(edge_index.size(1))
    adj = torch.zeros(num_nodes, num_nodes, dtype=w.dtype)
    adj.index_put_((edge_index[0], edge_index[1]), w, accumulate=True)
    return adj


def dense_to_edge_index(adj: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(edge_index, edge_weight) of the non-zero entries of a dense (N, N) adjacency."""
    expect(adj.dim() == 2 and adj.size(0) == adj.size(1), "adj", "a square (N, N) matrix", tuple(adj.shape))
    idx = adj.nonzero().t()                                                     # (2, E)
    return idx, adj[idx[0], idx[1]]


@syllabus("graphs.graph_data")
@dataclass
class Graph:
    """One graph: ``x`` (N, C), ``edge_index`` (2, E), optional ``y``, ``edge_attr``, masks."""

    x: torch.Tensor
    edge_index: torch.Tensor
    y: torch.Tensor | None = None
    edge_attr: torch.Tensor | None = None
    num_nodes: int | None = None

    def __post_init__(self):
        if self.num_nodes is None:
            self.num_nodes = self.x.size(0)
        expect(self.x.dim() == 2 and self.x.size(0) == self.num_nodes, "x",
               f"node features of shape ({self.num_nodes}, C)", tuple(self.x.shape))
        check_edge_index(self.edge_index, self.num_nodes)
        if self.edge_attr is not None:
            expect(self.edge_attr.size(0) == self.edge_index.size(1), "edge_attr",
                   f"one row per edge ({self.edge_index.size(1)})", tuple(self.edge_attr.shape))

    @property
    def num_edges(self) -> int:
        return self.edge_index.size(1)

    def is_undirected(self) -> bool:
        a = to_dense_adj(self.edge_index, self.num_nodes)
        return bool(torch.equal(a, a.t()))

    def adjacency(self) -> torch.Tensor:
        return to_dense_adj(self.edge_index, self.num_nodes)

    def to(self, device: Any) -> "Graph":
        mv = lambda t: None if t is None else t.to(device)
        return Graph(self.x.to(device), self.edge_index.to(device), mv(self.y), mv(self.edge_attr),
                     self.num_nodes)


@syllabus("graphs.graph_data")
def from_networkx(g: Any, x: torch.Tensor | None = None, label: str | None = None,
                  label_map: dict | None = None) -> Graph:
    """A :class:`Graph` from a networkx graph (nodes relabelled 0..N-1 in ``g.nodes`` order).

    ``x`` defaults to one-hot node identities; ``label`` names a node attribute read into ``y``
    (through ``label_map`` when given, else by sorted distinct values).
    """
    nodes = list(g.nodes)
    pos = {n: i for i, n in enumerate(nodes)}
    pairs = [(pos[u], pos[v]) for u, v in g.edges]
    ei = torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)              # (2, E)
    n = len(nodes)
    ei = ei if g.is_directed() else to_undirected(ei, n)
    if x is None:
        x = torch.eye(n)
    y = None
    if label is not None:
        vals = [g.nodes[v][label] for v in nodes]
        label_map = label_map or {v: i for i, v in enumerate(sorted(set(vals)))}
        y = torch.tensor([label_map[v] for v in vals], dtype=torch.long)
    return Graph(x, ei, y, num_nodes=n)


def to_networkx(graph: Graph | torch.Tensor, num_nodes: int | None = None, undirected: bool = True):
    """A networkx Graph (or DiGraph with ``undirected=False``) on nodes 0..N-1."""
    import networkx as nx

    if isinstance(graph, Graph):
        edge_index, num_nodes = graph.edge_index, graph.num_nodes
    else:
        edge_index = graph
        num_nodes = num_nodes if num_nodes is not None else int(edge_index.max()) + 1
    check_edge_index(edge_index, num_nodes)
    g = nx.Graph() if undirected else nx.DiGraph()
    g.add_nodes_from(range(num_nodes))
    g.add_edges_from(edge_index.t().tolist())
    return g


@syllabus("graphs.graph_data")
def karate_club() -> Graph:
    """Zachary's karate club: 34 nodes, 78 undirected edges (156 directed), y = faction."""
    import networkx as nx

    return from_networkx(nx.karate_club_graph(), label="club", label_map={"Mr. Hi": 0, "Officer": 1})
