import networkx as nx
import pytest
import torch

from deepnotes.graphs import (Graph, check_edge_index, from_networkx, karate_club, to_dense_adj,
                              dense_to_edge_index, to_networkx)


@pytest.mark.syllabus("graphs.graph_data")
def test_karate_club_matches_networkx():
    g = karate_club()
    ref = nx.karate_club_graph()
    assert g.num_nodes == 34 and g.num_edges // 2 == 78 == ref.number_of_edges()
    assert set(g.y.tolist()) == {0, 1}
    assert [g.y[i].item() for i in range(34)] == [int(ref.nodes[i]["club"] == "Officer") for i in range(34)]
    a = g.adjacency()
    assert torch.equal(a, a.t()) and g.is_undirected()
    ref_a = torch.tensor(nx.to_numpy_array(ref, weight=None), dtype=torch.float32)
    assert torch.equal(a, ref_a)


@pytest.mark.syllabus("graphs.graph_data")
def test_round_trips_networkx_and_dense():
    ref = nx.gnm_random_graph(20, 40, seed=1)
    g = from_networkx(ref)
    back = to_networkx(g)
    assert set(map(frozenset, back.edges)) == set(map(frozenset, ref.edges))
    ei, w = dense_to_edge_index(to_dense_adj(g.edge_index, 20))
    assert torch.equal(ei, g.edge_index) and torch.all(w == 1)
    directed = from_networkx(nx.DiGraph([(0, 1), (1, 2)]))
    assert not directed.is_undirected()


def test_bad_edge_index_names_argument():
    with pytest.raises(ValueError, match="edge_index.*\\[0, 3\\)"):
        check_edge_index(torch.tensor([[0, 1], [1, 3]]), 3)
    with pytest.raises(ValueError, match="edge_index.*shape"):
        check_edge_index(torch.tensor([0, 1, 2]), 3)
    with pytest.raises(ValueError, match="edge_index.*integer"):
        check_edge_index(torch.tensor([[0.0], [1.0]]), 3)
    with pytest.raises(ValueError, match="x"):
        Graph(torch.zeros(3), torch.tensor([[0], [1]]))


@pytest.mark.syllabus("graphs.graph_data")
def test_karate_club_agrees_with_the_data_registry():
    from deepnotes import data

    ours, theirs = karate_club(), data.load("karate")
    assert torch.equal(ours.y, theirs.y)
    assert torch.equal(ours.adjacency(), to_dense_adj(theirs.edge_index, 34))
    g = Graph(theirs.x, theirs.edge_index, theirs.y)           # their layout is ours: (x, edge_index)
    assert g.is_undirected() and g.num_edges == 156
