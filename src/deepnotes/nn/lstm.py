"""Long short-term memory: LSTMCell, LSTM (multi-layer, bidirectional, packed) and the peephole
variant.

Syllabus: sequences.lstm, sequences.peephole_lstm (with sequences.stacked_rnn and
sequences.bidirectional_rnn through the shared RNNBase). Notes: 000 L4.32-L4.35; 001 S17.17-23;
002 §6.2a-b; 003 L6.19.

Gate pre-activations from one affine map of [x_t; h_{t-1}], split in torch's order i, f, g, o:

    [i, f, g, o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(c_t)

Four times the parameters of an Elman cell: 4(H(H + X) + H), plus 4H for torch's second bias.
Peephole (Gers & Schmidhuber): the input and forget gates also see w_i * c_{t-1}, w_f * c_{t-1},
and the output gate sees w_o * c_t; with w = 0 it is the standard LSTM.

Notes' differences: 002 writes h_t = c_t * o_t (the tanh on the cell is missing); standard form
used here. Equal to torch.nn.LSTM / LSTMCell with copied weights (tests/nn/test_rnn.py).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import _VF, Tensor, nn

from ..core import expect, syllabus
from .rnn import RNNBase

__all__ = ["LSTMCell", "LSTM", "PeepholeLSTMCell", "PeepholeLSTM"]


def _lstm_step(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    i, f, g, o = gates.chunk(4, -1)                                  # each (B, H)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)      # (B, H)
    h = torch.sigmoid(o) * torch.tanh(c)                             # (B, H)
    return h, c


@syllabus("sequences.lstm")
class LSTMCell(nn.Module):
    """One LSTM step with torch.nn.LSTMCell's parameters: returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size, **kw))   # (4H, X)
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size, **kw))  # (4H, H)
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size, **kw)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size, **kw)) if bias else None
        std = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -std, std)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        expect(input.shape[-1] == self.input_size, "input", f"last dimension {self.input_size}", tuple(input.shape))
        if hx is None:
            z = input.new_zeros(*input.shape[:-1], self.hidden_size)
            hx = (z, z)
        h, c = hx
        gates = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)  # (B, 4H)
        return _lstm_step(gates, c)


@syllabus("sequences.lstm", "sequences.stacked_rnn", "sequences.bidirectional_rnn",
          "sequences.padding_packing")
class LSTM(RNNBase):
    """LSTM over a sequence with torch.nn.LSTM's arguments; returns output, (h_n, c_n)."""

    gate_size = 4
    num_states = 2
    _vf = staticmethod(_VF.lstm)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None, *, fast: bool = False):
        expect(proj_size == 0, "proj_size", "0 (projections are not implemented)", proj_size)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, fast=fast)

    def cell(self, gi, state, w_hh, b_hh):
        h, c = state
        return _lstm_step(gi + F.linear(h, w_hh, b_hh), c)


@syllabus("sequences.peephole_lstm")
class PeepholeLSTMCell(LSTMCell):
    """LSTM step whose gates peek at the cell: i, f see c_{t-1}; o sees c_t.

    Extra parameter ``weight_peep`` (3, H): rows w_i, w_f, w_o (zero at initialisation, so a
    fresh cell equals the standard LSTM cell with the same weights).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.weight_peep = nn.Parameter(torch.zeros(3, hidden_size, device=device, dtype=dtype))  # (3, H)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        expect(input.shape[-1] == self.input_size, "input", f"last dimension {self.input_size}", tuple(input.shape))
        if hx is None:
            z = input.new_zeros(*input.shape[:-1], self.hidden_size)
            hx = (z, z)
        h, c = hx
        gates = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = gates.chunk(4, -1)                              # each (B, H)
        wi, wf, wo = self.weight_peep
        c = torch.sigmoid(f + wf * c) * c + torch.sigmoid(i + wi * c) * torch.tanh(g)
        h = torch.sigmoid(o + wo * c) * torch.tanh(c)
        return h, c


@syllabus("sequences.peephole_lstm")
class PeepholeLSTM(nn.Module):
    """Single-layer peephole LSTM over a batch-first sequence (B, T, X) -> (B, T, H), (h, c)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.cell = PeepholeLSTMCell(input_size, hidden_size, bias, device, dtype)
        self.hidden_size = hidden_size

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        expect(input.dim() == 3, "input", "a batch-first (B, T, X) tensor", tuple(input.shape))
        outs = []
        for t in range(input.shape[1]):
            hx = self.cell(input[:, t], hx)
            outs.append(hx[0])
        return torch.stack(outs, 1), hx
