import networkx as nx
import numpy as np
import pytest
import torch

from deepnotes.graphs import (ChebConv, GCNConv, SpectralGraphConv, from_networkx, karate_club,
                              laplacian, laplacian_eigen, spectral_filter)


def _data(n=14, m=30, seed=0):
    g = nx.gnm_random_graph(n, m, seed=seed)
    return g, from_networkx(g)


@pytest.mark.syllabus("graphs.spectral_graph_conv")
def test_spectral_filter_polynomial_equals_matrix_polynomial():
    g, d = _data()
    L = torch.tensor(nx.laplacian_matrix(g).toarray(), dtype=torch.float64)
    lam, U = torch.linalg.eigh(L)
    x = torch.randn(d.num_nodes, 3, dtype=torch.float64)
    p = lambda t: 0.5 - 1.2 * t + 0.3 * t ** 2 - 0.05 * t ** 3
    direct = 0.5 * x - 1.2 * L @ x + 0.3 * L @ L @ x - 0.05 * L @ L @ L @ x
    assert (spectral_filter(x, U, lam, p) - direct).abs().max() < 1e-8
    layer = SpectralGraphConv(U, 3, 2).double()
    ref = sum(U @ torch.diag(layer.theta[c, o]) @ U.t() @ x[:, c] for c in range(3) for o in [0])
    torch.testing.assert_close(layer(x)[:, 0], ref)


@pytest.mark.syllabus("graphs.chebyshev_graph_conv")
def test_chebconv_equals_spectral_chebyshev_and_is_local():
    g, d = _data()
    K = 4
    conv = ChebConv(2, 1, K, bias=False).double()
    x = torch.randn(d.num_nodes, 2, dtype=torch.float64)
    L = torch.tensor(nx.normalized_laplacian_matrix(g).toarray())
    lam, U = torch.linalg.eigh(L)
    lmax = float(lam.max())
    lt = 2 * lam / lmax - 1
    T = [torch.ones_like(lt), lt]
    for _ in range(2, K):
        T.append(2 * lt * T[-1] - T[-2])
    ref = sum(spectral_filter(x[:, c], U, lam, sum(conv.lins[k].weight[0, c] * T[k] for k in range(K)))
              for c in range(2))
    out = conv(x, d.edge_index, lambda_max=lmax)[:, 0]
    assert (out - ref).abs().max() < 1e-8
    # K-localised: changing a node further than K-1 hops away leaves node 0 unchanged
    g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 5))
    d = from_networkx(g)
    x = torch.randn(d.num_nodes, 2, dtype=torch.float64)
    dist = nx.single_source_shortest_path_length(g, 0)
    far = [v for v in g.nodes if dist.get(v, 99) > K - 1]
    assert far
    x2 = x.clone()
    x2[far] += 5.0
    assert torch.allclose(conv(x2, d.edge_index)[0], conv(x, d.edge_index)[0], atol=1e-12)
    near = [v for v in g.nodes if dist.get(v, 99) == K - 1]
    x3 = x.clone()
    x3[near] += 5.0
    assert not torch.allclose(conv(x3, d.edge_index)[0], conv(x, d.edge_index)[0])


@pytest.mark.syllabus("graphs.gcn")
def test_gcn_equals_dense_formula():
    g, d = _data(20, 35, 1)
    torch.manual_seed(0)
    conv = GCNConv(5, 3).double()
    torch.nn.init.normal_(conv.bias)
    x = torch.randn(d.num_nodes, 5, dtype=torch.float64)
    A = torch.tensor(nx.to_numpy_array(g, weight=None)) + torch.eye(d.num_nodes, dtype=torch.float64)
    dinv = torch.diag(A.sum(1).rsqrt())
    ref = dinv @ A @ dinv @ x @ conv.lin.weight.t() + conv.bias
    torch.testing.assert_close(conv(x, d.edge_index), ref)
    assert set(conv.state_dict()) == {"lin.weight", "bias"}
    assert conv.lin.weight.shape == (3, 5)


@pytest.mark.syllabus("graphs.gcn")
def test_gcn_without_renormalisation_is_first_order_chebnet():
    g, d = _data(16, 30, 2)
    x = torch.randn(d.num_nodes, 4, dtype=torch.float64)
    theta = torch.randn(4, 2, dtype=torch.float64)
    cheb = ChebConv(4, 2, K=2, bias=False).double()
    with torch.no_grad():
        cheb.lins[0].weight.copy_(theta.t())
        cheb.lins[1].weight.copy_(-theta.t())                  # theta_1 = -theta_0
    # GCN before the renormalisation trick: (I + D^-1/2 A D^-1/2) x theta (no self-loops)
    A = torch.tensor(nx.to_numpy_array(g, weight=None))
    dinv = torch.diag(A.sum(1).rsqrt())
    ref = (torch.eye(d.num_nodes, dtype=torch.float64) + dinv @ A @ dinv) @ x @ theta
    assert (cheb(x, d.edge_index, lambda_max=2.0) - ref).abs().max() < 1e-8
    gcn = GCNConv(4, 2, add_self_loops=False, bias=False).double()
    with torch.no_grad():
        gcn.lin.weight.copy_(theta.t())
    torch.testing.assert_close(gcn(x, d.edge_index) + x @ theta, ref)


@pytest.mark.syllabus("graphs.gcn")
def test_gcn_karate_one_label_per_faction():
    torch.manual_seed(0)
    d = karate_club()
    conv1, conv2 = GCNConv(34, 16), GCNConv(16, 2)
    params = list(conv1.parameters()) + list(conv2.parameters())
    opt = torch.optim.Adam(params, lr=0.01, weight_decay=5e-4)
    train = torch.tensor([0, 33])                               # Mr. Hi and the Officer
    for _ in range(100):
        opt.zero_grad()
        out = conv2(conv1(d.x, d.edge_index).relu(), d.edge_index)
        torch.nn.functional.cross_entropy(out[train], d.y[train]).backward()
        opt.step()
    acc = (out.argmax(1) == d.y).float().mean().item()
    assert acc >= 0.8


def test_gcn_bad_input():
    conv = GCNConv(3, 2)
    with pytest.raises(ValueError, match="x"):
        conv(torch.randn(4, 5), torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="edge_index"):
        conv(torch.randn(4, 3), torch.tensor([[0], [9]]))


@pytest.mark.syllabus("graphs.gcn")
def test_gcn_cached_normalisation_gives_same_output():
    _, d = _data(12, 20, 3)
    conv = GCNConv(4, 3)
    cached = GCNConv(4, 3, cached=True)
    cached.load_state_dict(conv.state_dict())
    x = torch.randn(d.num_nodes, 4)
    torch.testing.assert_close(cached(x, d.edge_index), conv(x, d.edge_index))
    assert cached._cache is not None
    x2 = torch.randn(d.num_nodes, 4, requires_grad=True)
    x3 = x2.detach().clone().requires_grad_(True)
    out_fast, out_ref = cached(x2, d.edge_index), conv(x3, d.edge_index)     # fast path: torch.sparse.mm
    torch.testing.assert_close(out_fast, out_ref)
    out_fast.square().sum().backward(), out_ref.square().sum().backward()
    torch.testing.assert_close(x2.grad, x3.grad)
    torch.testing.assert_close(cached.lin.weight.grad, conv.lin.weight.grad)
