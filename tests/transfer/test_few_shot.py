import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.data import load
from deepnotes.transfer import (EpisodeSampler, MatchingNetwork, PrototypicalNetwork, RelationNetwork,
                                class_prototypes, knn_classify, matching_attention, prototype_logits,
                                relation_mse, split_classes)


@pytest.mark.syllabus("adaptation_ssl_meta.episode_sampler")
def test_episodes_disjoint_relabelled_and_class_split():
    x, y = load("digits", split="all", flatten=True).tensors
    tr, te = split_classes(y, [0, 1, 2, 3, 4])
    assert tr == [0, 1, 2, 3, 4] and te == [5, 6, 7, 8, 9]
    s = EpisodeSampler(x, y, tr, n_way=3, k_shot=2, q_query=4, episodes=20, generator=torch.Generator().manual_seed(0))
    assert len(list(s)) == 20
    for ep in s:
        assert ep.support_x.shape == (6, 64) and ep.query_x.shape == (12, 64)
        assert set(ep.support_y.tolist()) == {0, 1, 2} and set(ep.query_y.tolist()) == {0, 1, 2}
        assert not set(ep.support_index.tolist()) & set(ep.query_index.tolist())
        assert set(y[ep.support_index].tolist()) <= set(tr) and set(y[ep.query_index].tolist()) <= set(tr)
        assert torch.equal(y[ep.support_index], ep.classes[ep.support_y])   # relabelling is consistent
        assert torch.equal(y[ep.query_index], ep.classes[ep.query_y])
        assert torch.equal(ep.support_x, x[ep.support_index])
    with pytest.raises(ValueError, match="n_way"):
        EpisodeSampler(x, y, tr, n_way=6)
    with pytest.raises(ValueError, match="k_shot"):
        EpisodeSampler(x, y, tr, n_way=2, k_shot=200, q_query=5)


@pytest.mark.syllabus("adaptation_ssl_meta.embedding_knn")
@pytest.mark.parametrize("k,metric", [(1, "euclidean"), (3, "euclidean"), (1, "cosine")])
def test_knn_equals_sklearn(k, metric):
    from sklearn.neighbors import KNeighborsClassifier

    g = torch.Generator().manual_seed(k)
    s, sl, q = torch.randn(25, 6, generator=g, dtype=torch.float64), torch.randint(5, (25,), generator=g), \
        torch.randn(40, 6, generator=g, dtype=torch.float64)
    ref = KNeighborsClassifier(n_neighbors=k, metric=metric, algorithm="brute").fit(s.numpy(), sl.numpy())
    assert knn_classify(q, s, sl, k=k, metric=metric).tolist() == ref.predict(q.numpy()).tolist()
    with pytest.raises(ValueError, match="k"):
        knn_classify(q, s, sl, k=26)


@pytest.mark.syllabus("adaptation_ssl_meta.matching_networks")
def test_matching_attention_and_cosine_voting():
    torch.manual_seed(0)
    enc = nn.Linear(5, 4)
    m = MatchingNetwork(enc, scale=1.0)
    s, sl, q = torch.randn(6, 5), torch.tensor([0, 1, 2, 0, 1, 2]), torch.randn(3, 5)
    a = matching_attention(enc(q), enc(s))
    torch.testing.assert_close(a.sum(1), torch.ones(3))
    out = m(q, s, sl, 3)
    # by hand: softmax over cosine, then sum the attention of each class's support items
    fq, fs = enc(q), enc(s)
    cos = torch.stack([torch.stack([F.cosine_similarity(u, v, dim=0) for v in fs]) for u in fq])
    w = cos.exp() / cos.exp().sum(1, keepdim=True)
    ref = torch.stack([w[:, sl == c].sum(1) for c in range(3)], 1)
    torch.testing.assert_close(out, ref)


@pytest.mark.syllabus("adaptation_ssl_meta.prototypical_networks")
def test_prototypes_are_class_means_and_linear_form():
    torch.manual_seed(0)
    emb, lab = torch.randn(12, 4, dtype=torch.float64), torch.tensor([0, 1, 2] * 4)
    c = class_prototypes(emb, lab, 3)
    for k in range(3):
        torch.testing.assert_close(c[k], emb[lab == k].mean(0))
    q = torch.randn(5, 4, dtype=torch.float64)
    logits = prototype_logits(q, c)
    torch.testing.assert_close(logits, -torch.cdist(q, c) ** 2)
    lin = q @ (2 * c).T - (c ** 2).sum(1)                                   # w = 2c, b = -|c|^2
    torch.testing.assert_close(logits.softmax(1), lin.softmax(1))
    net = PrototypicalNetwork(nn.Identity())
    torch.testing.assert_close(net(q, emb, lab, 3), logits)
    with pytest.raises(ValueError, match="labels"):
        class_prototypes(emb, torch.zeros(12, dtype=torch.long), 3)


@pytest.mark.syllabus("adaptation_ssl_meta.prototypical_networks")
def test_prototypes_on_raw_digits_beat_chance_by_far():
    x, y = load("digits", split="all", flatten=True).tensors
    s = EpisodeSampler(x, y, [5, 6, 7, 8, 9], n_way=5, k_shot=5, q_query=10, episodes=20,
                       generator=torch.Generator().manual_seed(0))
    net = PrototypicalNetwork(nn.Identity())
    acc = torch.stack([(net(e.query_x, e.support_x, e.support_y, 5).argmax(1) == e.query_y).float().mean()
                       for e in s]).mean()
    assert acc > 0.8


@pytest.mark.syllabus("adaptation_ssl_meta.relation_networks")
def test_relation_scores_shape_range_and_training_reduces_mse():
    x, y = load("digits", split="all", flatten=True).tensors
    torch.manual_seed(0)
    net = RelationNetwork(nn.Sequential(nn.Linear(64, 32), nn.ReLU()), dim=32)
    tr = EpisodeSampler(x, y, [0, 1, 2, 3, 4], 5, 1, 5, 60, generator=torch.Generator().manual_seed(0))
    te = [e for e in EpisodeSampler(x, y, [5, 6, 7, 8, 9], 5, 1, 5, 10, generator=torch.Generator().manual_seed(1))]
    def held_out():
        with torch.no_grad():
            return torch.stack([relation_mse(net(e.query_x, e.support_x, e.support_y, 5), e.query_y) for e in te]).mean()
    e0 = te[0]
    r = net(e0.query_x, e0.support_x, e0.support_y, 5)
    assert r.shape == (25, 5) and ((r > 0) & (r < 1)).all()
    before = held_out()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for e in tr:
        opt.zero_grad()
        relation_mse(net(e.query_x, e.support_x, e.support_y, 5), e.query_y).backward()
        opt.step()
    assert held_out() < before
