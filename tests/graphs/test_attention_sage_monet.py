import networkx as nx
import pytest
import torch
import torch.nn.functional as F

from deepnotes.graphs import (GraphAttention, MoNetConv, SAGEConv, from_networkx, sample_hops,
                              sample_neighbors, sampled_edge_index, to_dense_adj)


def _data(n=12, m=22, seed=0):
    g = nx.gnm_random_graph(n, m, seed=seed)
    return g, from_networkx(g)


@pytest.mark.syllabus("graphs.graph_attention")
def test_graph_attention_equals_masked_sdpa():
    torch.manual_seed(0)
    g, d = _data()
    att = GraphAttention(5, 8, heads=2)
    x = torch.randn(d.num_nodes, 5)
    out, (ei, alpha) = att(x, d.edge_index, return_attention=True)
    n, H = d.num_nodes, 2
    dense = torch.zeros(H, n, n)
    dense[:, ei[1], ei[0]] = alpha.t()                          # row i = target, column j = source
    mask = (to_dense_adj(d.edge_index, n) + torch.eye(n)) > 0
    assert torch.all(dense[:, ~mask] == 0)
    torch.testing.assert_close(dense.sum(-1), torch.ones(H, n))
    q, k, v = (m(x).view(n, H, 4).transpose(0, 1) for m in (att.q, att.k, att.v))
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)          # (H, N, d)
    ref = att.out(ref.transpose(0, 1).reshape(n, 8))
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.syllabus("graphs.graphsage")
@pytest.mark.parametrize("aggr", ["mean", "pool", "lstm"])
def test_sage_unit_norm_and_inductive(aggr):
    torch.manual_seed(0)
    _, d = _data()
    conv = SAGEConv(4, 6, aggr=aggr)
    x = torch.randn(d.num_nodes, 4)
    out = conv(x, d.edge_index, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out.norm(dim=1), torch.ones(d.num_nodes))
    _, d2 = _data(20, 40, 7)                                   # an unseen graph, same weights
    out2 = conv(torch.randn(20, 4), d2.edge_index)
    assert out2.shape == (20, 6) and torch.isfinite(out2).all()


@pytest.mark.syllabus("graphs.graphsage")
@pytest.mark.parametrize("aggr", ["mean", "pool"])
def test_sage_aggregators_are_neighbour_permutation_invariant_and_match_definition(aggr):
    torch.manual_seed(1)
    g, d = _data()
    conv = SAGEConv(4, 3, aggr=aggr, normalize=False, activation=None)
    x = torch.randn(d.num_nodes, 4)
    shuffled = d.edge_index[:, torch.randperm(d.edge_index.size(1))]
    torch.testing.assert_close(conv(x, shuffled), conv(x, d.edge_index))
    ref = []
    for v in range(d.num_nodes):
        nb = x[list(g.neighbors(v))]
        agg = nb.mean(0) if aggr == "mean" else torch.relu(conv.pool(nb)).max(0).values
        W = torch.cat([conv.lin_r.weight, conv.lin_l.weight], dim=1)              # W [h_v ; h_N]
        ref.append(W @ torch.cat([x[v], agg]) + conv.lin_l.bias)
    torch.testing.assert_close(conv(x, d.edge_index), torch.stack(ref), atol=1e-5, rtol=1e-5)


@pytest.mark.syllabus("graphs.graphsage")
def test_sage_lstm_aggregator_is_an_lstm_over_a_neighbour_ordering():
    """The LSTM aggregate of node v is the final LSTM state over v's neighbours in SOME order
    (checked against every ordering for low-degree nodes); isolated nodes aggregate to 0."""
    import itertools
    torch.manual_seed(0)
    g, d = _data(12, 16, 4)
    g.add_node(12)
    conv = SAGEConv(3, 2, aggr="lstm")
    x = torch.randn(13, 3)
    agg = conv.aggregate(x, d.edge_index, torch.Generator().manual_seed(0))
    checked = 0
    for v in range(13):
        nb = list(g.neighbors(v))
        if len(nb) > 3:
            continue
        if not nb:
            assert torch.all(agg[v] == 0)
            continue
        finals = [conv.lstm(x[list(order)].unsqueeze(0))[0][0, -1] for order in itertools.permutations(nb)]
        assert any(torch.allclose(agg[v], f, atol=1e-6) for f in finals), v
        checked += 1
    assert checked >= 5


@pytest.mark.syllabus("graphs.neighbor_sampling")
def test_neighbor_sampling_true_neighbours_fixed_size_seeded():
    g, d = _data(15, 25, 3)
    g.add_node(15)
    nodes = torch.arange(15)
    s = sample_neighbors(d.edge_index, 15, nodes, 5, torch.Generator().manual_seed(0))
    assert s.shape == (15, 5)
    for v in range(15):
        nb = set(g.neighbors(v))
        assert set(s[v].tolist()) <= nb
        if len(nb) >= 5:
            assert len(set(s[v].tolist())) == 5             # without replacement
    s2 = sample_neighbors(d.edge_index, 15, nodes, 5, torch.Generator().manual_seed(0))
    assert torch.equal(s, s2)
    ei = sampled_edge_index(d.edge_index, 15, 3, torch.Generator().manual_seed(1))
    assert torch.equal(torch.bincount(ei[1], minlength=15), torch.full((15,), 3))
    hops = sample_hops(d.edge_index, 15, torch.tensor([0, 1]), [4, 3], torch.Generator().manual_seed(2))
    assert hops[0].shape == (2, 4) and hops[1].shape == (2, 4, 3)
    for a, row in zip(hops[0].reshape(-1).tolist(), hops[1].reshape(-1, 3).tolist()):
        assert set(row) <= set(g.neighbors(a))
    with pytest.raises(ValueError, match="num_samples"):
        sample_neighbors(d.edge_index, 15, nodes, 0)


@pytest.mark.syllabus("graphs.monet")
def test_monet_reduces_to_sum_and_gradchecks():
    torch.manual_seed(0)
    g, d = _data()
    conv = MoNetConv(3, 2, dim=2, kernel_size=1, root_weight=False, bias=False).double()
    with torch.no_grad():
        conv.mu.zero_()
        conv.sigma.fill_(1e6)
    x = torch.randn(d.num_nodes, 3, dtype=torch.float64)
    A = torch.tensor(nx.to_numpy_array(g, weight=None))
    torch.testing.assert_close(conv(x, d.edge_index), A @ x @ conv.g, atol=1e-6, rtol=0)
    conv2 = MoNetConv(3, 2, dim=2, kernel_size=3).double()
    pseudo = torch.rand(d.edge_index.size(1), 2, dtype=torch.float64)

    def f(mu, sigma):
        conv2.mu.data, conv2.sigma.data = mu, sigma
        return conv2(x, d.edge_index, pseudo)
    mu = torch.rand(3, 2, dtype=torch.float64, requires_grad=True)
    sigma = (torch.rand(3, 2, dtype=torch.float64) + 0.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda m, s: _functional_monet(conv2, x, d.edge_index, pseudo, m, s),
                                    (mu, sigma))
    with pytest.raises(ValueError, match="pseudo"):
        conv2(x, d.edge_index, pseudo[:, :1])


@pytest.mark.syllabus("graphs.monet")
def test_monet_gaussian_mixture_by_hand_with_degree_coordinates():
    """x'_i = sum_p sum_{j in N(i)} w_p(u(i,j)) g_p^T x_j + W_r x_i + b, with
    w_p(u) = exp(-1/2 sum_d (u_d - mu_pd)^2 / sigma_pd^2) and u(i,j) = (1/sqrt(deg i), 1/sqrt(deg j))
    from networkx degrees."""
    torch.manual_seed(0)
    g, d = _data(10, 18, 5)
    conv = MoNetConv(3, 2, dim=2, kernel_size=2).double()
    with torch.no_grad():
        conv.mu.copy_(torch.tensor([[0.2, 0.7], [0.6, 0.3]]))
        conv.sigma.copy_(torch.tensor([[0.3, 0.5], [0.8, 0.2]]))
        conv.bias.normal_()
    x = torch.randn(10, 3, dtype=torch.float64)
    G = conv.g.view(3, 2, 2)                                             # (in, P, out)
    ref = []
    for i in range(10):
        acc = conv.root.weight @ x[i] + conv.bias
        for j in g.neighbors(i):
            u = torch.tensor([g.degree(i) ** -0.5, g.degree(j) ** -0.5], dtype=torch.float64)
            for p in range(2):
                w = torch.exp(-0.5 * (((u - conv.mu[p]) / conv.sigma[p]) ** 2).sum())
                acc = acc + w * (x[j] @ G[:, p])
        ref.append(acc)
    torch.testing.assert_close(conv(x, d.edge_index), torch.stack(ref), rtol=1e-10, atol=1e-10)  # pseudo-coordinates in x.dtype


def _functional_monet(conv, x, edge_index, pseudo, mu, sigma):
    return torch.func.functional_call(conv, {"mu": mu, "sigma": sigma}, (x, edge_index, pseudo))
