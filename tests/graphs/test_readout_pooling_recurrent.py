import math

import networkx as nx
import pytest
import torch

from deepnotes.graphs import (RecurrentGNN, TopKPooling, dense_diff_pool, from_networkx, global_add_pool,
                              global_max_pool, global_mean_pool)


@pytest.mark.syllabus("graphs.graph_readout")
def test_readout_permutation_invariant_and_constant_mean():
    torch.manual_seed(0)
    x = torch.randn(10, 4, dtype=torch.float64)
    batch = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    perm = torch.randperm(10)
    for pool, ref in ((global_add_pool, lambda t: t.sum(0)), (global_mean_pool, lambda t: t.mean(0)),
                      (global_max_pool, lambda t: t.max(0).values)):
        out = pool(x, batch)
        assert out.shape == (3, 4)
        torch.testing.assert_close(pool(x[perm], batch[perm]), out, atol=1e-7, rtol=0)
        for gi in range(3):
            torch.testing.assert_close(out[gi], ref(x[batch == gi]))
    const = torch.full((7, 3), 2.5)
    torch.testing.assert_close(global_mean_pool(const), torch.full((1, 3), 2.5))
    with pytest.raises(ValueError, match="batch"):
        global_mean_pool(x, batch[:5])


@pytest.mark.syllabus("graphs.graph_pooling")
def test_topk_pooling_sizes_gating_and_edges():
    torch.manual_seed(0)
    g = nx.gnm_random_graph(9, 15, seed=0)
    d = from_networkx(g, x=torch.randn(9, 3))
    pool = TopKPooling(3, ratio=0.5)
    x, ei, batch, perm, score = pool(d.x, d.edge_index)
    assert x.shape[0] == math.ceil(0.5 * 9) == perm.numel()
    full = d.x @ pool.weight[0] / pool.weight.norm()
    assert set(perm.tolist()) == set(torch.topk(full, 5).indices.tolist())
    torch.testing.assert_close(x, d.x[perm] * torch.tanh(full[perm])[:, None])
    kept = {(int(perm[a]), int(perm[b])) for a, b in ei.t().tolist()}
    want = {(u, v) for u, v in d.edge_index.t().tolist() if u in set(perm.tolist()) and v in set(perm.tolist())}
    assert kept == want
    # batched: ceil(ratio * N_g) per graph
    xb = torch.randn(7, 3)
    _, _, b2, _, _ = TopKPooling(3, 0.3)(xb, torch.zeros(2, 0, dtype=torch.long), torch.tensor([0, 0, 0, 1, 1, 1, 1]))
    assert torch.equal(torch.bincount(b2), torch.tensor([1, 2]))


@pytest.mark.syllabus("graphs.graph_pooling")
def test_diffpool_shapes_and_symmetry():
    torch.manual_seed(0)
    A = (torch.rand(8, 8) < 0.4).float()
    A = torch.triu(A, 1)
    A = A + A.t()
    z, s = torch.randn(8, 5), torch.randn(8, 3)
    x2, a2 = dense_diff_pool(z, A, s)
    S = torch.softmax(s, -1)
    assert x2.shape == (3, 5) and a2.shape == (3, 3)
    torch.testing.assert_close(a2, a2.t())
    torch.testing.assert_close(x2, S.t() @ z)
    torch.testing.assert_close(a2.sum(), A.sum())               # rows of S sum to 1: edge mass kept


@pytest.mark.syllabus("graphs.recurrent_gnn")
def test_recurrent_gnn_reaches_fixed_point():
    torch.manual_seed(0)
    g = nx.gnm_random_graph(15, 30, seed=2)
    d = from_networkx(g, x=torch.randn(15, 3, dtype=torch.float64))
    model = RecurrentGNN(3, 8, contraction=0.9, tol=1e-10).double()
    with torch.no_grad():
        model.W.mul_(10.0)                                     # rescaled back to a contraction
    assert torch.linalg.matrix_norm(model.contractive_weight(), ord=2) <= 0.9 + 1e-9
    h = model.fixed_point(d.x, d.edge_index)
    assert model.num_iterations < model.max_iter
    assert (model.step(h, d.x, d.edge_index) - h).norm() < 1e-6
    # the same fixed point from a different start (uniqueness)
    h2 = torch.randn_like(h)
    for _ in range(400):
        h2 = model.step(h2, d.x, d.edge_index)
    assert (h2 - h).abs().max() < 1e-6
    with pytest.raises(ValueError, match="contraction"):
        RecurrentGNN(3, 8, contraction=1.5)
