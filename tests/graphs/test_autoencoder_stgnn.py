import networkx as nx
import pytest
import torch
from sklearn.metrics import roc_auc_score

from deepnotes.graphs import GAE, GCN, STGNN, karate_club, link_split, negative_sampling, to_dense_adj


@pytest.mark.syllabus("graphs.link_prediction_split")
def test_link_split_holds_out_edges_and_negatives_are_non_edges():
    d = karate_club()
    sp = link_split(d.edge_index, 34, 0.05, 0.15, torch.Generator().manual_seed(0))
    full = {frozenset(e) for e in d.edge_index.t().tolist()}
    train = {frozenset(e) for e in sp.train_edge_index.t().tolist()}
    held = [frozenset(e) for e in torch.cat([sp.val_pos, sp.test_pos], 1).t().tolist()]
    assert not train & set(held)
    assert train | set(held) == full and len(held) == len(set(held))
    assert sp.test_pos.size(1) == round(0.15 * 78) == sp.test_neg.size(1)
    for e in torch.cat([sp.val_neg, sp.test_neg], 1).t().tolist():
        assert frozenset(e) not in full and e[0] != e[1]
    A = to_dense_adj(sp.train_edge_index, 34)
    assert torch.equal(A, A.t())
    with pytest.raises(ValueError, match="num_samples"):
        negative_sampling(d.edge_index, 34, 10_000)


@pytest.mark.syllabus("graphs.graph_autoencoder")
def test_gae_decoder_symmetric_and_link_prediction_auc():
    d = karate_club()
    aucs = []
    for seed in range(3):                                      # 12 test edges per split: average 3
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        sp = link_split(d.edge_index, 34, 0.0, 0.15, g)
        model = GAE(GCN([34, 16, 2]))
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(60):
            opt.zero_grad()
            z = model.encode(d.x, sp.train_edge_index)
            model.recon_loss(z, sp.train_edge_index, generator=g).backward()
            opt.step()
        with torch.no_grad():
            z = model.encode(d.x, sp.train_edge_index)
            full = model.decoder.forward_all(z)
            torch.testing.assert_close(full, full.t())
            torch.testing.assert_close(full[sp.test_pos[0], sp.test_pos[1]], model.decode(z, sp.test_pos))
            score = torch.cat([model.decode(z, sp.test_pos), model.decode(z, sp.test_neg)])
        label = torch.cat([torch.ones(sp.test_pos.size(1)), torch.zeros(sp.test_neg.size(1))])
        aucs.append(roc_auc_score(label.numpy(), score.numpy()))
    assert sum(aucs) / len(aucs) > 0.75


@pytest.mark.syllabus("graphs.graph_autoencoder")
def test_gae_inner_product_decoder_and_bce_by_hand():
    """A^_ij = sigmoid(z_i . z_j); loss = -mean log A^ over positive pairs - mean log(1 - A^) over
    the negative pairs; Z = GCN(X, A)."""
    torch.manual_seed(0)
    d = karate_club()
    model = GAE(GCN([34, 8, 3]))
    z = model.encode(d.x, d.edge_index)
    torch.testing.assert_close(z, model.encoder(d.x, d.edge_index))
    pos, neg = d.edge_index[:, :20], torch.tensor([[0, 5, 9], [30, 22, 17]])
    dot = lambda pairs: (z[pairs[0]] * z[pairs[1]]).sum(-1)  # noqa: E731
    torch.testing.assert_close(model.decode(z, pos), torch.sigmoid(dot(pos)))
    torch.testing.assert_close(model.decoder.forward_all(z), torch.sigmoid(z @ z.t()))
    ref = -torch.log(torch.sigmoid(dot(pos))).mean() - torch.log(1 - torch.sigmoid(dot(neg))).mean()
    torch.testing.assert_close(model.recon_loss(z, pos, neg), ref)


@pytest.mark.syllabus("graphs.stgnn")
def test_stgnn_shapes_and_graph_use():
    torch.manual_seed(0)
    g = nx.gnm_random_graph(10, 18, seed=0)
    from deepnotes.graphs import from_networkx
    d = from_networkx(g)
    model = STGNN(1, 8, window=6, horizon=2)
    x = torch.randn(4, 6, 10, 1)
    assert model(x, d.edge_index).shape == (4, 10, 2)
    assert model(x[0], d.edge_index).shape == (10, 2)          # (N_nodes, horizon)
    # a batch element equals the same window run alone
    torch.testing.assert_close(model(x, d.edge_index)[2], model(x[2], d.edge_index))
    # information flows along edges: perturbing a neighbour of node 0 changes node 0's forecast
    nb = next(iter(g.neighbors(0)))
    x2 = x.clone()
    x2[:, :, nb] += 1.0
    assert not torch.allclose(model(x2, d.edge_index)[:, 0], model(x, d.edge_index)[:, 0])
    with pytest.raises(ValueError, match="x"):
        model(torch.randn(2, 5, 10, 1), d.edge_index)

