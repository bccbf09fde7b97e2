"""Chrono initialisation of LSTM/GRU keep gates, checked through torch's own LSTM and GRU."""
import pytest
import torch
from scipy import stats

from deepnotes.nn import GRU, LSTM, chrono_init_


def _zero_weights(m):
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.startswith("weight"):
                p.zero_()


def test_lstm_cell_decays_with_memory_times_in_range():
    """With zero weights and g = 0, torch's LSTM gives c_T = sigmoid(b_f)^T c_0: memory 1+u in [2, T_max]."""
    H, T, t_max = 256, 5, 40
    m = chrono_init_(torch.nn.LSTM(3, H, dtype=torch.float64), t_max, torch.Generator().manual_seed(0))
    _zero_weights(m)
    with torch.no_grad():
        m.bias_ih_l0[2 * H:3 * H] = 0.0                             # candidate g = tanh(0) = 0
        m.bias_hh_l0[2 * H:3 * H] = 0.0
        c0 = torch.ones(1, 1, H, dtype=torch.float64)
        _, (_, cT) = m(torch.randn(T, 1, 3, dtype=torch.float64), (torch.zeros_like(c0), c0))
    f = cT[0, 0] ** (1 / T)                                          # (H,) per-step forget factor
    memory = 1 / (1 - f)                                             # 1 + u
    assert memory.min() >= 2 - 1e-9 and memory.max() <= t_max + 1e-9
    # u = memory - 1 is uniform on [1, t_max - 1]
    assert stats.kstest((memory - 1).numpy(), stats.uniform(1, t_max - 2).cdf).pvalue > 1e-3
    # the input gate is the mirror image: b_i = -b_f
    assert torch.allclose(m.bias_ih_l0[:H], -m.bias_ih_l0[H:2 * H])
    assert torch.all(m.bias_hh_l0[:2 * H] == 0)


def test_gru_update_gate_keeps_state():
    """Zero weights and biases on n: torch's GRU gives h_T = z^T h_0 with z = u / (1 + u)."""
    H, T, t_max = 128, 4, 100
    m = chrono_init_(torch.nn.GRU(2, H, dtype=torch.float64), t_max, torch.Generator().manual_seed(1))
    _zero_weights(m)
    with torch.no_grad():
        m.bias_ih_l0[2 * H:] = 0.0
        m.bias_hh_l0[2 * H:] = 0.0
        h0 = torch.ones(1, 1, H, dtype=torch.float64)
        _, hT = m(torch.randn(T, 1, 2, dtype=torch.float64), h0)
    u = torch.exp(m.bias_ih_l0[H:2 * H].detach())
    torch.testing.assert_close(hT[0, 0], (u / (1 + u)) ** T)
    memory = 1 / (1 - hT[0, 0] ** (1 / T))
    assert memory.min() >= 2 - 1e-9 and memory.max() <= t_max + 1e-9


def test_ours_and_torch_get_the_same_biases_for_the_same_generator():
    ours = chrono_init_(LSTM(4, 8, num_layers=2, bidirectional=True), 30, torch.Generator().manual_seed(3))
    ref = chrono_init_(torch.nn.LSTM(4, 8, num_layers=2, bidirectional=True), 30, torch.Generator().manual_seed(3))
    for name, p in ref.named_parameters():
        if name.startswith("bias"):
            keep = slice(0, 16)                                      # i and f slots set by chrono
            torch.testing.assert_close(getattr(ours, name)[keep], p[keep])
    assert (ours.bias_ih_l1_reverse[8:16] > 0).all()                 # log(u) > 0 for u > 1


def test_default_init_untouched_elsewhere():
    m = GRU(3, 6)
    w = m.weight_hh_l0.detach().clone()
    n_bias = m.bias_ih_l0[12:].detach().clone()
    chrono_init_(m, 10)
    assert torch.equal(m.weight_hh_l0, w) and torch.equal(m.bias_ih_l0[12:], n_bias)


@pytest.mark.parametrize("module, t_max", [(torch.nn.RNN(3, 4), 10), (GRU(3, 4), 2), (torch.nn.Linear(3, 4), 10),
                                           (LSTM(3, 4, bias=False), 10)])
def test_bad_input(module, t_max):
    with pytest.raises(ValueError, match="module|t_max"):
        chrono_init_(module, t_max)
