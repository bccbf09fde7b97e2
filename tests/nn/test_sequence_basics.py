"""Embedding, one-hot, heads, fixed window, CNN+RNN, BPTT and gradient pathology."""
import math

import pytest
import torch
import torch.nn.functional as F

import deepnotes.nn as dn

torch.set_num_threads(1)
D = torch.float64


@pytest.mark.syllabus("sequences.one_hot_encoding")
def test_one_hot_lexicon():
    lex = ["apple", "bag", "cat", "dog", "elephant"]
    codes = dn.one_hot_encode(torch.arange(len(lex)), 5)
    assert codes[0].tolist() == [1, 0, 0, 0, 0]
    for i in range(5):
        for j in range(i + 1, 5):
            assert torch.dist(codes[i], codes[j]).item() == pytest.approx(math.sqrt(2))
            assert int((codes[i] != codes[j]).sum()) == 2
    ids = torch.randint(0, 7, (3, 4))
    assert torch.equal(dn.one_hot_encode(ids, 7), F.one_hot(ids, 7).float())
    with pytest.raises(ValueError, match="indices"):
        dn.one_hot_encode(torch.tensor([7]), 7)


@pytest.mark.syllabus("sequences.embedding_layer")
def test_embedding_equals_torch_and_one_hot_matmul():
    torch.manual_seed(0)
    ref = torch.nn.Embedding(10, 3, padding_idx=0)
    ours = dn.Embedding(10, 3, padding_idx=0)
    ours.load_state_dict(ref.state_dict())
    ids = torch.tensor([[0, 2, 2, 5], [9, 0, 1, 2]])
    torch.testing.assert_close(ours(ids), ref(ids))
    torch.testing.assert_close(ours(ids), dn.one_hot_encode(ids, 10) @ ours.weight)
    r = torch.randn(2, 4, 3)                                         # (a squared loss would vanish at the zero pad row)
    (ours(ids) * r).sum().backward()
    (ref(ids) * r).sum().backward()
    assert torch.all(ours.weight.grad[0] == 0)                       # padding_idx gets no gradient
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad)
    unused = [3, 4, 6, 7, 8]
    assert torch.all(ours.weight.grad[unused] == 0)                # sparse row update
    with pytest.raises(ValueError, match="out-of-vocabulary"):
        ours(torch.tensor([10]))


@pytest.mark.syllabus("sequences.sequence_heads")
def test_heads_lengths_and_dependence_on_first_input():
    torch.manual_seed(0)
    tagger = dn.RecurrentTagger(dn.GRU(3, 4, batch_first=True), 5)
    x = torch.randn(2, 7, 3, requires_grad=True)
    assert tagger(x).shape == (2, 7, 5)
    clf = dn.RecurrentClassifier(dn.LSTM(3, 4, batch_first=True), 2)
    clf(x)[0].sum().backward()
    assert x.grad[0, 0].abs().sum() > 0                            # x_1 reaches the output through h_T
    out = clf(x, torch.tensor([3, 7]))
    torch.testing.assert_close(out[0], clf(x[:1, :3])[0])
    mean = dn.RecurrentClassifier(dn.GRU(3, 4, batch_first=True), 2, pooling="mean")
    states = mean.rnn(x)[0]                                           # mean of the states up to each length
    ref = torch.stack([states[0, :3].mean(0), states[1].mean(0)]) @ mean.head.weight.T + mean.head.bias
    torch.testing.assert_close(mean(x, torch.tensor([3, 7])), ref)


@pytest.mark.syllabus("sequences.context_window_model")
def test_context_window_jacobian_is_banded():
    torch.manual_seed(0)
    m = dn.ContextWindowMLP(2, 8, 3, k=1).double()
    x = torch.randn(1, 6, 2, dtype=D)
    J = torch.autograd.functional.jacobian(m, x)[0, :, :, 0]       # (T, O, T, X)
    for t in range(6):
        for s in range(6):
            assert (J[t, :, s].abs().sum() == 0) == (abs(s - t) > 1)


@pytest.mark.syllabus("sequences.cnn_rnn_encoder")
def test_cnn_rnn_encoder_gradients_reach_shared_cnn_from_every_step():
    torch.manual_seed(0)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten())
    m = dn.CNNRNNEncoder(cnn, dn.GRU(2 * 6 * 6, 4, batch_first=True), 3)
    frames = torch.randn(2, 5, 1, 8, 8)
    y = m(frames)
    assert y.shape == (2, 5, 3)
    for t in range(5):
        g = torch.autograd.grad(y[:, t].sum(), cnn[0].weight, retain_graph=True)[0]
        assert g.abs().sum() > 0


@pytest.mark.syllabus("sequences.bptt")
def test_scalar_bptt_recurrence_equals_autograd():
    x = torch.randn(12, dtype=D, generator=torch.Generator().manual_seed(0))
    u = torch.tensor(0.7, dtype=D, requires_grad=True)
    w = torch.tensor(-1.3, dtype=D, requires_grad=True)
    hT = dn.scalar_rnn_forward(x, u, w, 0.2)[-1]
    gu, gw = torch.autograd.grad(hT, (u, w))
    du, dw = dn.scalar_rnn_bptt(x, 0.7, -1.3, 0.2)
    assert abs(du - gu) < 1e-10 and abs(dw - gw) < 1e-10


@pytest.mark.syllabus("sequences.truncated_bptt")
def test_truncated_bptt_cuts_old_gradients_and_equals_full_when_k_ge_T():
    torch.manual_seed(0)
    rnn = dn.RNN(2, 3, batch_first=True, dtype=D)
    x, y = torch.randn(1, 9, 2, dtype=D), torch.randn(1, 9, 3, dtype=D)
    h0 = torch.zeros(1, 1, 3, dtype=D, requires_grad=True)
    loss_fn = lambda o, t: ((o - t) ** 2).sum()  # noqa: E731
    # gradient w.r.t. the initial state from a chunk beyond the first k steps is exactly zero
    chunks = list(dn.truncated_bptt_chunks(x, y, 4))
    _, h = rnn(chunks[0][0], h0)
    out, _ = rnn(chunks[1][0], dn.detach_state(h))
    assert torch.autograd.grad(loss_fn(out, chunks[1][1]), h0, allow_unused=True)[0] is None
    rnn.zero_grad()
    dn.truncated_bptt_step(rnn, loss_fn, x, y, k=9)
    g_trunc = [p.grad.clone() for p in rnn.parameters()]
    rnn.zero_grad()
    loss_fn(rnn(x)[0], y).backward()
    for a, b in zip(g_trunc, rnn.parameters()):
        torch.testing.assert_close(a, b.grad)
    rnn.zero_grad()                                                  # k < T: gradients differ
    dn.truncated_bptt_step(rnn, loss_fn, x, y, k=2)
    assert not all(torch.allclose(a, b.grad) for a, b in zip(g_trunc, rnn.parameters()))


@pytest.mark.syllabus("sequences.rnn_gradient_pathology")
def test_repeated_weights_and_linear_rnn_norm():
    assert dn.repeated_weight_gradient(1.0, 1000) == 1.0
    assert dn.repeated_weight_gradient(1.01, 1000) == pytest.approx(20959.16, rel=1e-6)
    assert dn.repeated_weight_gradient(0.99, 1000) == pytest.approx(4.317e-5, rel=1e-3)
    c, T, H = 0.9, 20, 4
    W = c * torch.eye(H, dtype=D)
    norms = dn.state_jacobian_norms(lambda xt, h: h @ W.T + xt, torch.randn(T, H, dtype=D), torch.zeros(H, dtype=D))
    expected = torch.tensor([abs(c) ** (T - t) for t in range(T)], dtype=D)
    torch.testing.assert_close(norms, expected, rtol=1e-12, atol=0)
