import networkx as nx
import pytest
import torch

from deepnotes.graphs import (DCNN, NN4G, SpatialGraphConv, from_networkx, hop_pairs, scatter,
                              to_dense_adj)


def _data(seed=0):
    g = nx.gnm_random_graph(12, 24, seed=seed)
    return g, from_networkx(g)


@pytest.mark.syllabus("graphs.spatial_graph_conv")
@pytest.mark.parametrize("aggr", ["sum", "mean", "max"])
def test_spatial_conv_is_permutation_equivariant(aggr):
    torch.manual_seed(0)
    _, d = _data()
    conv = SpatialGraphConv(3, 4, aggr=aggr, root_weight=True)
    x = torch.randn(d.num_nodes, 3)
    perm = torch.randperm(d.num_nodes)
    inv = torch.argsort(perm)                                  # new id of old node i is inv[i]
    out = conv(x, d.edge_index)
    out_p = conv(x[perm], inv[d.edge_index])
    torch.testing.assert_close(out_p, out[perm], atol=1e-6, rtol=0)


@pytest.mark.syllabus("graphs.spatial_graph_conv")
def test_sum_and_mean_aggregation_match_dense():
    g, d = _data(1)
    x = torch.randn(d.num_nodes, 3, dtype=torch.float64)
    conv = SpatialGraphConv(3, 2, aggr="sum", bias=False).double()
    A = torch.tensor(nx.to_numpy_array(g, weight=None))
    torch.testing.assert_close(conv(x, d.edge_index), A @ x @ conv.lin.weight.t())
    mean = SpatialGraphConv(3, 2, aggr="mean", self_loops=True, bias=False).double()
    mean.load_state_dict(conv.state_dict())
    At = A + torch.eye(d.num_nodes, dtype=torch.float64)
    torch.testing.assert_close(mean(x, d.edge_index), (At / At.sum(1, keepdim=True)) @ x @ conv.lin.weight.t())
    mx = scatter(x[d.edge_index[0]], d.edge_index[1], d.num_nodes, "max")
    ref = torch.stack([x[list(g.neighbors(i))].max(0).values for i in range(d.num_nodes)])
    torch.testing.assert_close(mx, ref)
    with pytest.raises(ValueError, match="aggr"):
        SpatialGraphConv(3, 2, aggr="median")


@pytest.mark.syllabus("graphs.nn4g")
def test_nn4g_matches_notes_hand_computation():
    # the notes' 5-node graph: node 3 has neighbours 0, 2, 4 (edges 0-1, 0-3, 1-2, 2-3, 3-4)
    g = nx.Graph()
    g.add_nodes_from(range(5))
    g.add_edges_from([(0, 1), (0, 3), (1, 2), (2, 3), (3, 4)])
    d = from_networkx(g, x=torch.randn(5, 2, dtype=torch.float64))
    model = NN4G(2, 1, num_layers=2).double()
    w0, w1, w2 = (m.weight[0] for m in model.input_maps)
    wh1, wh2 = (m.weight[0, 0] for m in model.neighbour_maps)
    x = d.x
    h0 = [w0 @ x[v] for v in range(5)]
    h1_3 = wh1 * (h0[0] + h0[2] + h0[4]) + w1 @ x[3]
    y, states = model(x, d.edge_index)
    torch.testing.assert_close(states[0][:, 0], torch.stack(h0))
    torch.testing.assert_close(states[1][3, 0], h1_3)
    h1 = [wh1 * sum(h0[u] for u in g.neighbors(v)) + w1 @ x[v] for v in range(5)]
    h2_0 = wh2 * (h1[1] + h1[3]) + w2 @ x[0]                   # no h_0^1 term: no self-recurrence
    torch.testing.assert_close(states[2][0, 0], h2_0)
    ref_y = sum(model.readout[k].weight[0, 0] * states[k][:, 0].mean() for k in range(3))
    torch.testing.assert_close(y[0], ref_y)


@pytest.mark.syllabus("graphs.dcnn")
def test_dcnn_hop_means_on_path_and_networkx_distances():
    g = nx.path_graph(5)
    d = from_networkx(g, x=torch.randn(5, 3))
    model = DCNN(3, num_hops=3, out_channels=2)
    means = model.hop_means(d.x, d.edge_index)                 # (N, K, C)
    torch.testing.assert_close(means[2, 1], (d.x[0] + d.x[4]) / 2)   # hop 2 of node 2
    torch.testing.assert_close(means[2, 0], (d.x[1] + d.x[3]) / 2)
    torch.testing.assert_close(means[0, 2], d.x[3])
    # against networkx shortest paths on a random graph
    g2 = nx.gnm_random_graph(15, 20, seed=4)
    d2 = from_networkx(g2, x=torch.randn(15, 2))
    pairs = hop_pairs(d2.edge_index, 15, 3)
    dist = dict(nx.all_pairs_shortest_path_length(g2))
    for k, p in enumerate(pairs, start=1):
        got = set(map(tuple, p.t().tolist()))
        want = {(u, v) for v in range(15) for u, du in dist[v].items() if du == k}
        assert got == want
    out = model(d.x, d.edge_index)
    assert out.shape == (5, 2)
    ref = model.lin(torch.cat([model.hop_weight[k] * means[:, k] for k in range(3)], dim=1))
    torch.testing.assert_close(out, ref)
