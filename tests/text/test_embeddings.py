"""word2vec (skip-gram, CBOW, negative sampling, hierarchical softmax), GloVe and SVD embeddings."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import chisquare

import deepnotes.text as tx

torch.set_num_threads(1)
D = torch.float64


@pytest.mark.syllabus("transformers_nlp.word2vec_skipgram")
def test_skipgram_loss_manual_param_count_and_topic_clusters():
    m = tx.SkipGram(6, 3, seed=0).double()
    with torch.no_grad():
        m.out_embed.normal_()
    c, o = torch.tensor([0, 3]), torch.tensor([2, 5])
    manual = 0.0
    for ci, oi in zip(c.tolist(), o.tolist()):
        s = m.out_embed @ m.in_embed[ci]
        manual += -(s[oi] - torch.logsumexp(s, 0))
    torch.testing.assert_close(m.loss(c, o), manual / 2)
    assert sum(p.numel() for p in tx.SkipGram(10_000, 300).parameters()) == 6_000_000
    # two topics: words 0-4 co-occur only among themselves, 5-9 likewise
    g = torch.Generator().manual_seed(0)
    ids = torch.cat([torch.randint(0, 5, (20,), generator=g) + 5 * (k % 2) for k in range(60)])
    pairs = tx.skipgram_pairs(ids, 2)
    toy = torch.tensor([10, 11, 12, 13, 14])
    want = sorted((int(toy[i]), int(toy[j])) for i in range(5) for j in range(5) if 0 < abs(i - j) <= 2)
    assert sorted(map(tuple, tx.skipgram_pairs(toy, 2).tolist())) == want
    model = tx.SkipGram(10, 8, seed=0)
    opt = torch.optim.Adam(model.parameters(), 0.05)
    for _ in range(150):
        opt.zero_grad()
        model.loss(pairs[:, 0], pairs[:, 1]).backward()
        opt.step()
    E = model.embeddings()
    torch.testing.assert_close(E, (model.in_embed + model.out_embed).detach() / 2)   # final embedding (u + v) / 2
    sim = tx.cosine_similarity(E[:, None], E[None])
    same = torch.tensor([[(i < 5) == (j < 5) and i != j for j in range(10)] for i in range(10)])
    diff = torch.tensor([[(i < 5) != (j < 5) for j in range(10)] for i in range(10)])
    assert sim[same].mean() > sim[diff].mean() + 0.3


@pytest.mark.syllabus("transformers_nlp.negative_sampling")
def test_negative_sampling_loss_gradcheck_and_sampler_frequencies():
    g = torch.Generator().manual_seed(0)
    v = torch.randn(4, 3, dtype=D, generator=g, requires_grad=True)
    u = torch.randn(4, 3, dtype=D, generator=g, requires_grad=True)
    un = torch.randn(4, 5, 3, dtype=D, generator=g, requires_grad=True)
    manual = 0.0
    for p in range(4):
        manual += -torch.log(torch.sigmoid(u[p] @ v[p])) - sum(torch.log(torch.sigmoid(-un[p, k] @ v[p])) for k in range(5))
    torch.testing.assert_close(tx.negative_sampling_loss(v, u, un), manual / 4)
    assert torch.autograd.gradcheck(tx.negative_sampling_loss, (v, u, un))
    counts = torch.tensor([100, 50, 20, 5, 1])
    sampler = tx.NegativeSampler(counts)
    draws = sampler.sample((200_000,), generator=g)
    obs = torch.bincount(draws, minlength=5).numpy()
    exp = (counts.double() ** 0.75 / (counts.double() ** 0.75).sum() * 200_000).numpy()
    assert chisquare(obs, exp).pvalue > 0.01


@pytest.mark.syllabus("transformers_nlp.hierarchical_softmax")
def test_hierarchical_softmax_normalised_and_log_depth():
    counts = [50, 20, 20, 10, 5, 5, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    hs = tx.HierarchicalSoftmax(counts, 4).double()
    h = torch.randn(3, 4, dtype=D)
    p = hs.full_log_prob(h).exp()
    torch.testing.assert_close(p.sum(-1), torch.ones(3, dtype=D), rtol=0, atol=1e-6)
    depths = [len(pth) for pth in hs.tree.paths]
    assert depths[0] < depths[-1]                                        # frequent words: short codes
    assert hs.tree.num_inner == len(counts) - 1
    uniform = tx.HuffmanTree([1] * 64)
    assert max(len(pth) for pth in uniform.paths) == 6                  # log2(64) nodes per word


@pytest.mark.syllabus("transformers_nlp.cbow")
def test_cbow_manual_and_single_context_is_swapped_skipgram():
    m = tx.CBOW(7, 3, seed=1).double()
    with torch.no_grad():
        m.out_embed.normal_()
    ctx, centre = tx.cbow_windows(torch.tensor([0, 1, 2, 3, 4, 5, 6]), 2)
    assert ctx[0].tolist() == [0, 1, 3, 4] and centre[0].item() == 2
    vbar = m.in_embed[ctx[0]].mean(0)
    torch.testing.assert_close(m.log_prob(ctx[:1])[0], torch.log_softmax(m.out_embed @ vbar, 0))
    sg = tx.SkipGram(7, 3).double()
    sg.load_state_dict(m.state_dict())
    one = torch.tensor([[4]])
    torch.testing.assert_close(m.log_prob(one)[0], sg.log_prob(torch.tensor([4]))[0])


@pytest.mark.syllabus("transformers_nlp.glove")
def test_glove_loss_weight_and_gradcheck():
    assert tx.glove_weight(torch.tensor(0.0)).item() == 0.0
    assert tx.glove_weight(torch.tensor(100.0)).item() == 1.0
    assert tx.glove_weight(torch.tensor(50.0)).item() == pytest.approx(0.5 ** 0.75)
    X = torch.tensor([[0.0, 3.0, 1.0], [3.0, 0.0, 150.0], [1.0, 150.0, 2.0]], dtype=D)
    m = tx.GloVe(3, 2).double()
    with torch.no_grad():
        for p in m.parameters():
            p.normal_()
    manual = 0.0
    for i in range(3):
        for j in range(3):
            if X[i, j] > 0:
                f = min(1.0, (X[i, j].item() / 100) ** 0.75)
                manual += f * (m.u[i] @ m.v[j] + m.b[i] + m.c[j] - torch.log(X[i, j])) ** 2
    torch.testing.assert_close(m.loss(X), manual)
    params = tuple(p.detach().clone().requires_grad_() for p in (m.u, m.v, m.b, m.c))
    assert torch.autograd.gradcheck(lambda u, v, b, c: tx.glove_loss(u, v, b, c, X), params)


@pytest.mark.syllabus("transformers_nlp.svd_embeddings")
def test_svd_reconstruction_and_sklearn():
    from sklearn.decomposition import TruncatedSVD
    g = torch.Generator().manual_seed(0)
    counts = torch.randint(0, 20, (30, 25), generator=g).double()
    counts[0, :] = 0                                                   # an unseen word: PPMI 0, not NaN
    counts[3, 4] = 0
    M = tx.ppmi(counts)
    assert torch.all(M >= 0)
    P = counts / counts.sum()
    for w, c in [(1, 2), (3, 4), (5, 0), (0, 7), (29, 24)]:            # max(0, log P(w,c) / (P(w) P(c)))
        pmi = torch.log(P[w, c] / (P[w].sum() * P[:, c].sum())) if P[w, c] > 0 else torch.tensor(-1.0)
        assert M[w, c].item() == pytest.approx(max(0.0, pmi.item()), abs=1e-12)
    U, S, V = tx.truncated_svd(M, 5)
    full = torch.linalg.svdvals(M)
    err = ((M - U @ torch.diag(S) @ V.T) ** 2).sum()
    torch.testing.assert_close(err, (full[5:] ** 2).sum())
    sk = TruncatedSVD(5, algorithm="arpack", random_state=0).fit(M.numpy())
    for k in range(5):
        a, b = V[:, k].numpy(), sk.components_[k]
        assert min(np.abs(a - b).max(), np.abs(a + b).max()) < 1e-6
    E = tx.svd_embeddings(M, 5)
    torch.testing.assert_close(E, U * S.sqrt())
