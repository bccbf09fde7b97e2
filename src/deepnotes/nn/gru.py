"""Gated recurrent unit: GRUCell and GRU (multi-layer, bidirectional, packed).

Syllabus: sequences.gru. Notes: 000 L4.41; 002 §6.2c; 003 L6.18.

Gates in torch's order r, z, n:

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)           reset
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)           update
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))        candidate
    h' = (1 - z) * n + z * h

z = 1 keeps the old state exactly. Notes' differences: 003 uses sigma for the candidate and no
biases; 002 calls the GRU 'an LSTM without an output gate'. The standard form is implemented.
Equal to torch.nn.GRU / GRUCell with copied weights (tests/nn/test_rnn.py).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import _VF, Tensor, nn

from ..core import expect, syllabus
from .rnn import RNNBase

__all__ = ["GRUCell", "GRU"]


def _gru_step(gi: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    i_r, i_z, i_n = gi.chunk(3, -1)                                  # each (B, H)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h                                       # (B, H)


@syllabus("sequences.gru")
class GRUCell(nn.Module):
    """One GRU step with torch.nn.GRUCell's parameters."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size, **kw))   # (3H, X)
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size, **kw))  # (3H, H)
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size, **kw)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size, **kw)) if bias else None
        std = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -std, std)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        expect(input.shape[-1] == self.input_size, "input", f"last dimension {self.input_size}", tuple(input.shape))
        if hx is None:
            hx = input.new_zeros(*input.shape[:-1], self.hidden_size)
        return _gru_step(F.linear(input, self.weight_ih, self.bias_ih),
                         F.linear(hx, self.weight_hh, self.bias_hh), hx)


@syllabus("sequences.gru", "sequences.stacked_rnn", "sequences.bidirectional_rnn",
          "sequences.padding_packing")
class GRU(RNNBase):
    """GRU over a sequence with torch.nn.GRU's arguments; returns output, h_n."""

    gate_size = 3
    _vf = staticmethod(_VF.gru)

    def cell(self, gi, state, w_hh, b_hh):
        h = state[0]
        return (_gru_step(gi, F.linear(h, w_hh, b_hh), h),)
