"""link_split(keep_connected=True): held-out edges never disconnect the training graph (networkx)."""
import networkx as nx
import pytest
import torch

from deepnotes.graphs import from_networkx, karate_club, link_split


def _components(pairs, n):
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(pairs.t().tolist())
    return nx.number_connected_components(g)


@pytest.mark.syllabus("graphs.link_prediction_split")
@pytest.mark.parametrize("seed", range(5))
def test_karate_residual_graph_stays_connected(seed):
    d = karate_club()
    sp = link_split(d.edge_index, 34, 0.05, 0.15, torch.Generator().manual_seed(seed), keep_connected=True)
    assert _components(sp.train_pos, 34) == 1
    full = {frozenset(e) for e in d.edge_index.t().tolist()}
    train = {frozenset(e) for e in sp.train_edge_index.t().tolist()}
    held = [frozenset(e) for e in torch.cat([sp.val_pos, sp.test_pos], 1).t().tolist()]
    assert not train & set(held) and train | set(held) == full
    assert sp.test_pos.size(1) == round(0.15 * 78) == sp.test_neg.size(1) and sp.val_pos.size(1) == round(0.05 * 78)
    for e in torch.cat([sp.val_neg, sp.test_neg], 1).t().tolist():
        assert frozenset(e) not in full and e[0] != e[1]


@pytest.mark.syllabus("graphs.link_prediction_split")
def test_disconnected_graph_keeps_its_components_and_bridges_stay():
    g = nx.disjoint_union(nx.cycle_graph(6), nx.complete_graph(5))       # 2 components, 16 edges
    g.add_edge(11, 12)                                                   # a third one: a lone bridge
    d = from_networkx(g)
    n = g.number_of_nodes()
    for seed in range(5):
        sp = link_split(d.edge_index, n, 0.0, 0.25, torch.Generator().manual_seed(seed), keep_connected=True)
        assert _components(sp.train_pos, n) == nx.number_connected_components(g)
        assert [11, 12] in sp.train_pos.t().tolist()                     # a bridge is never held out


def test_default_split_does_not_keep_connected():
    """Without the option some karate splits isolate a node (degree-1 node 11 loses its only edge)."""
    d = karate_club()
    counts = [_components(link_split(d.edge_index, 34, 0.0, 0.15, torch.Generator().manual_seed(s)).train_pos, 34)
              for s in range(40)]
    assert max(counts) > 1


def test_too_many_held_out_edges_raise():
    d = from_networkx(nx.path_graph(8))                                  # a tree: every edge is a bridge
    with pytest.raises(ValueError, match="test_ratio"):
        link_split(d.edge_index, 8, 0.0, 0.3, torch.Generator().manual_seed(0), keep_connected=True)
