"""Recurrent layers against torch.nn.RNN/LSTM/GRU with copied weights (manual and fused paths)."""
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import deepnotes.nn as dn

torch.set_num_threads(1)

PAIRS = {"rnn": (dn.RNN, torch.nn.RNN), "lstm": (dn.LSTM, torch.nn.LSTM), "gru": (dn.GRU, torch.nn.GRU)}


def _pair(kind, seed, fast, **kw):
    ours_cls, ref_cls = PAIRS[kind]
    g = torch.Generator().manual_seed(seed)
    X, H, L = (int(v) for v in torch.randint(1, 6, (3,), generator=g))
    L = min(L, 3)
    ref = ref_cls(X, H, num_layers=L, dtype=torch.float64, **kw)
    ours = ours_cls(X, H, num_layers=L, dtype=torch.float64, fast=fast, **kw)
    ours.load_state_dict(ref.state_dict())
    return ours, ref, X, H, L, g


def _flat(s):
    return s if isinstance(s, tuple) else (s,)


@pytest.mark.syllabus("sequences.elman_rnn", "sequences.lstm", "sequences.gru", "sequences.stacked_rnn",
                      "sequences.bidirectional_rnn")
@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_torch_outputs_states_grads(kind, fast, seed):
    batch_first, bidir = bool(seed % 2), seed != 1
    ours, ref, X, H, L, g = _pair(kind, seed, fast, batch_first=batch_first, bidirectional=bidir)
    T, B = 4 + seed, 3
    x = torch.randn((B, T, X) if batch_first else (T, B, X), dtype=torch.float64, generator=g)
    D = 2 if bidir else 1
    h0 = torch.randn(L * D, B, H, dtype=torch.float64, generator=g)
    hx = (h0, torch.randn_like(h0)) if kind == "lstm" else h0
    xo, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_o, st_o = ours(xo, hx)
    out_r, st_r = ref(xr, hx)
    torch.testing.assert_close(out_o, out_r, rtol=1e-10, atol=1e-10)
    for a, b in zip(_flat(st_o), _flat(st_r)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    (out_o.sum() + sum(s.square().sum() for s in _flat(st_o))).backward()
    (out_r.sum() + sum(s.square().sum() for s in _flat(st_r))).backward()
    torch.testing.assert_close(xo.grad, xr.grad, rtol=1e-9, atol=1e-9)
    for (n, p), (n2, p2) in zip(ours.named_parameters(), ref.named_parameters()):
        assert n == n2
        torch.testing.assert_close(p.grad, p2.grad, rtol=1e-9, atol=1e-9)


@pytest.mark.syllabus("sequences.padding_packing")
@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("fast", [False, True])
def test_packed_variable_lengths_equal_torch_and_unpadded_runs(kind, fast):
    ours, ref, X, H, L, g = _pair(kind, 5, fast, batch_first=True, bidirectional=True)
    lengths = torch.tensor([3, 6, 1, 4])                               # unsorted
    x = torch.randn(4, 6, X, dtype=torch.float64, generator=g)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_o, st_o = ours(packed)
    out_r, st_r = ref(packed)
    torch.testing.assert_close(out_o.data, out_r.data, rtol=1e-10, atol=1e-10)
    assert torch.equal(out_o.batch_sizes, out_r.batch_sizes)
    for a, b in zip(_flat(st_o), _flat(st_r)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
    padded, _ = pad_packed_sequence(out_o, batch_first=True)
    for b, n in enumerate(lengths.tolist()):                           # each sequence alone
        single, st = ours(x[b:b + 1, :n])
        torch.testing.assert_close(padded[b:b + 1, :n], single, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(_flat(st_o)[0][:, b], _flat(st)[0][:, 0], rtol=1e-10, atol=1e-10)


@pytest.mark.syllabus("sequences.elman_rnn", "sequences.lstm", "sequences.gru")
@pytest.mark.parametrize("cells", [(dn.RNNCell, torch.nn.RNNCell), (dn.LSTMCell, torch.nn.LSTMCell),
                                   (dn.GRUCell, torch.nn.GRUCell)])
def test_cells_equal_torch(cells):
    ours_cls, ref_cls = cells
    torch.manual_seed(0)
    ref = ref_cls(3, 5, dtype=torch.float64)
    ours = ours_cls(3, 5, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, dtype=torch.float64)
    for a, b in zip(_flat(ours(x)), _flat(ref(x))):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.syllabus("sequences.elman_rnn")
def test_elman_order_matters_and_unbatched():
    torch.manual_seed(0)
    rnn = dn.RNN(3, 4, batch_first=True)
    x = torch.randn(1, 5, 3)
    h1 = rnn(x)[1]
    h2 = rnn(x.flip(1))[1]
    assert not torch.allclose(h1, h2)
    out, h = rnn(x[0])                                                 # unbatched (T, X)
    torch.testing.assert_close(out, rnn(x)[0][0])


@pytest.mark.syllabus("sequences.lstm")
def test_lstm_parameter_count_and_copy_gate():
    X, H = 7, 5
    lstm = dn.LSTM(X, H)
    assert sum(p.numel() for p in lstm.parameters()) == 4 * (H * (H + X) + H) + 4 * H
    cell = dn.LSTMCell(X, H, dtype=torch.float64)
    with torch.no_grad():                                              # forget gate = 1, input gate = 0
        cell.weight_ih.zero_(); cell.weight_hh.zero_(); cell.bias_hh.zero_()
        cell.bias_ih.zero_()
        cell.bias_ih[:H] = -1e4                                       # i -> 0
        cell.bias_ih[H:2 * H] = 1e4                                   # f -> 1
    c = torch.randn(2, H, dtype=torch.float64)
    _, c1 = cell(torch.randn(2, X, dtype=torch.float64), (torch.randn(2, H, dtype=torch.float64), c))
    assert torch.equal(c1, c)


@pytest.mark.syllabus("sequences.gru")
def test_gru_update_gate_one_keeps_state():
    cell = dn.GRUCell(3, 4, dtype=torch.float64)
    with torch.no_grad():
        cell.bias_ih[4:8] = 1e4                                       # z -> 1
    h = torch.randn(2, 4, dtype=torch.float64)
    assert torch.equal(cell(torch.randn(2, 3, dtype=torch.float64), h), h)


@pytest.mark.syllabus("sequences.peephole_lstm")
def test_peephole_zero_equals_lstm_and_nonzero_differs():
    torch.manual_seed(0)
    ref = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    cell = dn.PeepholeLSTMCell(3, 4, dtype=torch.float64)
    cell.load_state_dict({**ref.state_dict(), "weight_peep": torch.zeros(3, 4, dtype=torch.float64)})
    x, h, c = (torch.randn(2, k, dtype=torch.float64) for k in (3, 4, 4))
    for a, b in zip(cell(x, (h, c)), ref(x, (h, c))):
        assert torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=1e-15)
    with torch.no_grad():
        cell.weight_peep.fill_(0.5)
    assert not torch.allclose(cell(x, (h, c))[0], ref(x, (h, c))[0])
    layer = dn.PeepholeLSTM(3, 4)
    out, (hT, cT) = layer(torch.randn(2, 5, 3))
    assert out.shape == (2, 5, 4) and torch.equal(out[:, -1], hT)


@pytest.mark.syllabus("sequences.peephole_lstm")
def test_peephole_equations_by_hand():
    """Non-zero peepholes against the Gers-Schmidhuber equations written out here: i and f see
    c_{t-1}, o sees the NEW cell c_t, each through its own row of weight_peep."""
    torch.manual_seed(0)
    X, H = 3, 4
    cell = dn.PeepholeLSTMCell(X, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_peep.copy_(torch.randn(3, H, dtype=torch.float64))
    x, h, c = (torch.randn(2, k, dtype=torch.float64) for k in (X, H, H))
    z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh   # (B, 4H)
    zi, zf, zg, zo = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
    p_i, p_f, p_o = cell.weight_peep
    c_new = torch.sigmoid(zf + p_f * c) * c + torch.sigmoid(zi + p_i * c) * torch.tanh(zg)
    h_new = torch.sigmoid(zo + p_o * c_new) * torch.tanh(c_new)
    h1, c1 = cell(x, (h, c))
    torch.testing.assert_close(c1, c_new, rtol=0, atol=1e-12)
    torch.testing.assert_close(h1, h_new, rtol=0, atol=1e-12)
    layer = dn.PeepholeLSTM(X, H, dtype=torch.float64)                # the layer is the cell unrolled
    layer.cell.load_state_dict(cell.state_dict())
    seq = torch.randn(2, 3, X, dtype=torch.float64)
    state = None
    for t in range(3):
        state = cell(seq[:, t], state)
    out, (hT, cT) = layer(seq)
    torch.testing.assert_close(out[:, -1], state[0])
    torch.testing.assert_close(cT, state[1])


@pytest.mark.syllabus("sequences.bidirectional_rnn")
def test_bidirectional_output_depends_on_both_ends():
    torch.manual_seed(0)
    rnn = dn.LSTM(2, 3, bidirectional=True, batch_first=True, dtype=torch.float64)
    x = torch.randn(1, 6, 2, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda z: rnn(z)[0][0, 2], x)   # (2H, 1, T, X)
    assert J[:, 0, 0].abs().sum() > 0 and J[:, 0, -1].abs().sum() > 0


@pytest.mark.syllabus("sequences.jordan_rnn")
def test_jordan_equals_hand_loop_and_gradcheck():
    torch.manual_seed(0)
    m = dn.JordanRNN(3, 4, 2, dtype=torch.float64)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    y = torch.zeros(2, 2, dtype=torch.float64)
    Wx, b, Wy = m.in_proj.weight, m.in_proj.bias, m.feedback.weight
    Wo, bo = m.out_proj.weight, m.out_proj.bias
    ys = []
    for t in range(5):
        h = torch.tanh(x[:, t] @ Wx.T + b + y @ Wy.T)
        y = h @ Wo.T + bo
        ys.append(y)
    torch.testing.assert_close(m(x)[0], torch.stack(ys, 1), rtol=0, atol=1e-12)
    assert torch.autograd.gradcheck(lambda z: m(z)[0], (x.requires_grad_(),))


@pytest.mark.syllabus("sequences.learned_initial_state")
def test_learned_initial_state():
    torch.manual_seed(0)
    lstm = dn.LSTM(3, 4, batch_first=True)
    wrapped = dn.LearnedInitialState(lstm)
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(wrapped(x)[0], lstm(x)[0])             # h0 = 0: same as default
    wrapped(x)[0].sum().backward()
    assert wrapped.h0.grad.abs().sum() > 0 and wrapped.c0.grad.abs().sum() > 0


@pytest.mark.syllabus("sequences.irnn_init")
def test_irnn_identity_and_gradient_norm():
    torch.manual_seed(0)
    H, T = 16, 100
    irnn = dn.irnn_init_(dn.RNN(H, H, nonlinearity="relu", batch_first=True, dtype=torch.float64))
    assert torch.equal(irnn.weight_hh_l0, torch.eye(H, dtype=torch.float64))
    tanh = dn.RNN(H, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for p in tanh.parameters():
            p.normal_(0, 0.01)
    x = torch.zeros(1, T, H, dtype=torch.float64)

    def grad_norm(rnn, h0):
        J = torch.autograd.functional.jacobian(lambda h: rnn(x, h)[1][0, 0], h0)  # (H, 1, 1, H)
        return torch.linalg.matrix_norm(J.reshape(H, H), 2).item()
    assert 0.5 <= grad_norm(irnn, torch.rand(1, 1, H, dtype=torch.float64) + 0.1) <= 2
    assert grad_norm(tanh, torch.randn(1, 1, H, dtype=torch.float64)) < 1e-3


def test_bad_input_errors_name_the_argument():
    rnn = dn.GRU(3, 4)
    with pytest.raises(ValueError, match="input"):
        rnn(torch.randn(5, 2, 7))
    with pytest.raises(ValueError, match="hx"):
        rnn(torch.randn(5, 2, 3), torch.zeros(2, 2, 4))
    with pytest.raises(ValueError, match="hidden_size"):
        dn.LSTM(3, 0)
