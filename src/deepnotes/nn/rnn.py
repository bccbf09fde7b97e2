"""Elman recurrent network (RNNCell, RNN), the shared multi-layer/bidirectional machinery, and
Jordan's output-feedback network.

Syllabus: sequences.elman_rnn, sequences.stacked_rnn, sequences.bidirectional_rnn,
sequences.padding_packing, sequences.learned_initial_state, sequences.irnn_init,
sequences.jordan_rnn. Notes: 000 L4.27-L4.31; 001 S17.03, S17.09, S17.15-16; 002 §6.1a, §6.1g-h;
003 L6.07-L6.08, L6.11, L6.17, L6.20.

Elman cell, with the same weights at every step:

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   h_0 = 0 (or learned)

A stacked RNN feeds layer l's hidden sequence to layer l+1 as its input sequence; a
bidirectional one runs a second RNN over the reversed sequence and concatenates
[h_fwd_t ; h_bwd_t]. Variable-length batches run each sequence only up to its own length, so
the final state is the one at the true last step (packed sequences).

IRNN (Le et al.): ReLU instead of tanh, W_hh = I and b = 0 at initialisation.

Chrono initialisation of a gated layer (Tallec & Ollivier 2018), for dependencies up to T_max
steps: the keep gate's bias b = log(u), u ~ U(1, T_max - 1) per unit, so sigmoid(b) = u / (1 + u)
and the state's memory time 1 / (1 - sigmoid(b)) = 1 + u spans [2, T_max]. LSTM: b_f = log(u) and
b_i = -b_f; GRU: the update gate z (h' = (1 - z) n + z h) gets b_z = log(u). torch's default
(biases ~ U(-1/sqrt(H), 1/sqrt(H))) gives a memory time of about 2 steps.

Jordan network: the memory is the previous OUTPUT instead of the hidden state:
    h_t = tanh(W_x x_t + W_y y_{t-1} + b),   y_t = W_o h_t + b_o.

Notes' differences: 003 uses sigma instead of tanh and no biases; 000 claims Jordan networks
'tend to perform better' (unsupported, not tested).

Parameters and constructor arguments are torch's (``weight_ih_l0``, ``weight_hh_l1_reverse``,
``bias_ih_l0``...), so ``load_state_dict(torch.nn.RNN(...).state_dict())`` works. ``fast=True``
dispatches to the fused kernel torch.nn.RNN uses (``torch._VF``), which computes the same
maths; tests/nn/test_rnn.py shows both paths equal torch.nn.RNN.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import _VF, Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from ..core import expect, syllabus

__all__ = ["RNNBase", "RNNCell", "RNN", "JordanRNN", "LearnedInitialState", "irnn_init_", "chrono_init_"]


def _pack_from_padded(out: Tensor, batch_sizes: Tensor, sorted_indices: Tensor | None) -> Tensor:
    """Packed data from a batch-first padded tensor in ORIGINAL batch order."""
    if sorted_indices is not None:
        out = out.index_select(0, sorted_indices)                    # (B, T, C) sorted by length
    return torch.cat([out[: int(bs), t] for t, bs in enumerate(batch_sizes)], 0)  # (sum L, C)


def _reverse_within(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each batch-first sequence x[b, :len_b] in time, leaving padding where it is."""
    if lengths is None:
        return x.flip(1)
    B, T = x.shape[:2]
    t = torch.arange(T, device=x.device).expand(B, T)                 # (B, T)
    L = lengths.to(x.device).unsqueeze(1)                            # (B, 1)
    idx = torch.where(t < L, L - 1 - t, t)                           # (B, T)
    return x.gather(1, idx.unsqueeze(-1).expand_as(x))


class RNNBase(nn.Module):
    """Multi-layer, optionally bidirectional recurrent layer with torch's parameter layout.

    Subclasses set ``gate_size`` (gates per hidden unit), ``num_states`` (1, or 2 for LSTM),
    ``_vf`` (the fused kernel) and implement ``cell(gi, h, w_hh, b_hh)`` for one time step,
    where ``gi = W_ih x_t + b_ih`` was precomputed for all steps at once.
    """

    gate_size = 1
    num_states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None, *, fast: bool = False):
        super().__init__()
        expect(isinstance(input_size, int) and input_size > 0, "input_size", "a positive int", input_size)
        expect(isinstance(hidden_size, int) and hidden_size > 0, "hidden_size", "a positive int", hidden_size)
        expect(isinstance(num_layers, int) and num_layers >= 1, "num_layers", "an int >= 1", num_layers)
        expect(0.0 <= dropout <= 1.0, "dropout", "a probability in [0, 1]", dropout)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.fast = bidirectional, fast
        self.proj_size = 0
        D = 2 if bidirectional else 1
        G = self.gate_size * hidden_size
        kw = dict(device=device, dtype=dtype)
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], nn.Parameter(torch.empty(G, in_size, **kw)))   # (G*H, in)
                setattr(self, names[1], nn.Parameter(torch.empty(G, hidden_size, **kw)))  # (G*H, H)
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], nn.Parameter(torch.empty(G, **kw)))
                    setattr(self, names[3], nn.Parameter(torch.empty(G, **kw)))
                self._flat_weights_names += names
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, as torch does."""
        std = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -std, std)

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    def _weights(self, layer: int, direction: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = lambda n: getattr(self, n + sfx, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    # -- one step: implemented by each cell type -------------------------------------------------
    def cell(self, gi: Tensor, state: tuple[Tensor, ...], w_hh: Tensor,
             b_hh: Tensor | None) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s + (", batch_first=True" if self.batch_first else "") + (", fast=True" if self.fast else "")

    # -- the whole sequence ----------------------------------------------------------------------
    def _run_direction(self, x: Tensor, state: tuple[Tensor, ...], layer: int, direction: int,
                       lengths: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...]]:
        """x: (B, T, in) batch-first; state: tensors (B, H). Returns (B, T, H) and final state."""
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        if direction == 1:
            x = _reverse_within(x, lengths)
        gi = F.linear(x, w_ih, b_ih)                                 # (B, T, G*H) all steps at once
        T = x.shape[1]
        outs = []
        for t in range(T):
            new = self.cell(gi[:, t], state, w_hh, b_hh)             # each (B, H)
            if lengths is not None:                                  # finished sequences keep state
                alive = (t < lengths).to(x.device).unsqueeze(1)      # (B, 1)
                new = tuple(torch.where(alive, n, s) for n, s in zip(new, state))
                outs.append(torch.where(alive, new[0], torch.zeros_like(new[0])))
            else:
                outs.append(new[0])
            state = new
        out = torch.stack(outs, 1)                                   # (B, T, H)
        if direction == 1:
            out = _reverse_within(out, lengths)
        return out, state

    def _init_state(self, hx, B: int, ref: Tensor) -> tuple[Tensor, ...]:
        D = 2 if self.bidirectional else 1
        shape = (self.num_layers * D, B, self.hidden_size)
        if hx is None:
            z = torch.zeros(shape, dtype=ref.dtype, device=ref.device)
            return tuple(z for _ in range(self.num_states))
        hx = (hx,) if isinstance(hx, Tensor) else tuple(hx)
        expect(len(hx) == self.num_states, "hx", f"{self.num_states} state tensor(s)", len(hx))
        for h in hx:
            expect(tuple(h.shape) == shape, "hx", f"a state of shape {shape}", tuple(h.shape))
        return hx

    def forward(self, input: Tensor | PackedSequence, hx=None):
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            batch_sizes, sorted_idx, unsorted_idx = input.batch_sizes, input.sorted_indices, input.unsorted_indices
            x, lengths = pad_packed_sequence(input, batch_first=True)  # (B, T, in), original order
        else:
            expect(input.dim() in (2, 3), "input", "a 2-D (T, in) or 3-D sequence tensor", tuple(input.shape))
            unbatched = input.dim() == 2
            x = input.unsqueeze(0) if unbatched else (input if self.batch_first else input.transpose(0, 1))
            if unbatched and hx is not None:
                hx = hx.unsqueeze(1) if isinstance(hx, Tensor) else tuple(h.unsqueeze(1) for h in hx)
        expect(x.shape[-1] == self.input_size, "input", f"last dimension {self.input_size}", tuple(x.shape))
        B = x.shape[0]
        state0 = self._init_state(hx, B, x)
        if self.fast:
            out, states = self._fused(input if packed else x, state0, packed)
        else:
            out, states = self._manual(x, state0, lengths)
        if packed:
            out = PackedSequence(_pack_from_padded(out, batch_sizes, sorted_idx), batch_sizes, sorted_idx, unsorted_idx)
        elif unbatched:
            out, states = out.squeeze(0), tuple(s.squeeze(1) for s in states)
        elif not self.batch_first:
            out = out.transpose(0, 1)                                # (T, B, D*H)
        return out, (states[0] if self.num_states == 1 else states)

    def _manual(self, x: Tensor, state0: tuple[Tensor, ...], lengths: Tensor | None):
        D = 2 if self.bidirectional else 1
        finals: list[tuple[Tensor, ...]] = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                o, s = self._run_direction(x, tuple(st[k] for st in state0), layer, d, lengths)
                outs.append(o)
                finals.append(s)
            x = torch.cat(outs, -1)                                  # (B, T, D*H)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        states = tuple(torch.stack([f[i] for f in finals], 0) for i in range(self.num_states))
        return x, states                                             # (B, T, D*H), (L*D, B, H)

    def _fused(self, inp, state0: tuple[Tensor, ...], packed: bool):
        hx = state0[0] if self.num_states == 1 else state0
        args = (self._flat_weights, self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        if packed:
            order = inp.sorted_indices
            hx = hx.index_select(1, order) if isinstance(hx, Tensor) else tuple(h.index_select(1, order) for h in hx)
            res = self._vf(inp.data, inp.batch_sizes, hx, *args)
            data = res[0]
            states = tuple(s.index_select(1, inp.unsorted_indices) for s in res[1:])
            out, _ = pad_packed_sequence(PackedSequence(data, inp.batch_sizes, inp.sorted_indices,
                                                        inp.unsorted_indices), batch_first=True)
            return out, states
        res = self._vf(inp, hx, *args, True)                         # batch_first=True
        return res[0], tuple(res[1:])


@syllabus("sequences.elman_rnn")
class RNNCell(nn.Module):
    """One Elman step: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        super().__init__()
        expect(nonlinearity in ("tanh", "relu"), "nonlinearity", "'tanh' or 'relu'", nonlinearity)
        self.input_size, self.hidden_size, self.bias, self.nonlinearity = input_size, hidden_size, bias, nonlinearity
        kw = dict(device=device, dtype=dtype)
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size, **kw))   # (H, in)
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size, **kw))  # (H, H)
        self.bias_ih = nn.Parameter(torch.empty(hidden_size, **kw)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(hidden_size, **kw)) if bias else None
        std = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -std, std)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        expect(input.shape[-1] == self.input_size, "input", f"last dimension {self.input_size}", tuple(input.shape))
        if hx is None:
            hx = input.new_zeros(*input.shape[:-1], self.hidden_size)
        pre = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(hx, self.weight_hh, self.bias_hh)  # (B, H)
        return torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre)


@syllabus("sequences.elman_rnn", "sequences.stacked_rnn", "sequences.bidirectional_rnn",
          "sequences.padding_packing")
class RNN(RNNBase):
    """Elman RNN over a sequence, multi-layer and bidirectional, like torch.nn.RNN."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 *, fast: bool = False):
        expect(nonlinearity in ("tanh", "relu"), "nonlinearity", "'tanh' or 'relu'", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, fast=fast)

    @property
    def _vf(self):
        return _VF.rnn_tanh if self.nonlinearity == "tanh" else _VF.rnn_relu

    def cell(self, gi, state, w_hh, b_hh):
        pre = gi + F.linear(state[0], w_hh, b_hh)                    # (B, H)
        return (torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre),)


@syllabus("sequences.irnn_init")
def irnn_init_(module: nn.Module) -> nn.Module:
    """IRNN initialisation in place: every recurrent matrix W_hh = I, every bias = 0.

    Use with ``RNN(..., nonlinearity='relu')`` or ``RNNCell(..., nonlinearity='relu')``.
    """
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("weight_hh"):
                expect(p.shape[0] == p.shape[1], name, "a square recurrent matrix (Elman RNN)", tuple(p.shape))
                p.copy_(torch.eye(p.shape[0], dtype=p.dtype))
            elif name.startswith("bias"):
                p.zero_()
    return module


def chrono_init_(module: nn.Module, t_max: int, generator: torch.Generator | None = None) -> nn.Module:
    """Chrono initialisation in place of an LSTM or GRU (ours or torch's; every layer, direction).

    Keep-gate biases log(u), u ~ U(1, t_max - 1), put in ``bias_ih*`` with ``bias_hh*`` zeroed on
    that gate; an LSTM's input gate gets -log(u). Weights are left as they are.
    """
    expect(isinstance(t_max, (int, float)) and t_max > 2, "t_max", "a memory horizon > 2 (steps)", t_max)
    H = getattr(module, "hidden_size", None)
    names = [n for n, _ in module.named_parameters() if n.startswith("bias_ih")]
    expect(H is not None and names, "module", "an LSTM or GRU with biases (bias_ih_l0, ...)", type(module).__name__)
    params = dict(module.named_parameters())
    with torch.no_grad():
        for name in names:
            b_ih, b_hh = params[name], params[name.replace("bias_ih", "bias_hh")]
            gates = b_ih.shape[0] // H
            expect(gates in (3, 4), "module", "an LSTM (4 gates) or GRU (3 gates)", f"{gates} gates")
            u = torch.empty(H, dtype=torch.float64).uniform_(1.0, t_max - 1.0, generator=generator)
            keep = torch.log(u).to(b_ih)                             # (H,) slot 1: LSTM f, GRU z
            b_ih[H:2 * H], b_hh[H:2 * H] = keep, 0.0
            if gates == 4:                                           # LSTM input gate i = -f bias
                b_ih[:H], b_hh[:H] = -keep, 0.0
    return module


@syllabus("sequences.learned_initial_state")
class LearnedInitialState(nn.Module):
    """Wrap an RNN/LSTM/GRU so its initial state h_0 (and c_0) is a trained parameter.

    The parameters start at zero, so at initialisation the wrapped layer behaves exactly like
    the default one; BPTT then updates them from every sequence.
    """

    def __init__(self, rnn: nn.Module):
        super().__init__()
        self.rnn = rnn
        D = 2 if rnn.bidirectional else 1
        n = 2 if isinstance(rnn, RNNBase) and rnn.num_states == 2 or isinstance(rnn, nn.LSTM) else 1
        ref = next(rnn.parameters())
        self.h0 = nn.Parameter(torch.zeros(rnn.num_layers * D, 1, rnn.hidden_size, dtype=ref.dtype, device=ref.device))
        self.c0 = nn.Parameter(torch.zeros_like(self.h0)) if n == 2 else None

    def forward(self, input: Tensor | PackedSequence):
        if isinstance(input, PackedSequence):
            B = int(input.batch_sizes[0])
        else:
            B = input.shape[0 if self.rnn.batch_first else 1]
        h0 = self.h0.expand(-1, B, -1).contiguous()                 # (L*D, B, H)
        hx = h0 if self.c0 is None else (h0, self.c0.expand(-1, B, -1).contiguous())
        return self.rnn(input, hx)


@syllabus("sequences.jordan_rnn")
class JordanRNN(nn.Module):
    """Jordan network: h_t = tanh(W_x x_t + W_y y_{t-1} + b), y_t = W_o h_t + b_o, y_0 = 0.

    Input (B, T, input_size) (batch first); returns outputs (B, T, output_size) and y_T.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.in_proj = nn.Linear(input_size, hidden_size, **kw)                  # W_x, b
        self.feedback = nn.Linear(output_size, hidden_size, bias=False, **kw)    # W_y
        self.out_proj = nn.Linear(hidden_size, output_size, **kw)                # W_o, b_o

    def forward(self, input: Tensor, y0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        expect(input.dim() == 3 and input.shape[-1] == self.input_size, "input",
               f"(B, T, {self.input_size})", tuple(input.shape))
        B, T, _ = input.shape
        y = input.new_zeros(B, self.output_size) if y0 is None else y0   # (B, O)
        gx = self.in_proj(input)                                          # (B, T, H)
        ys = []
        for t in range(T):
            h = torch.tanh(gx[:, t] + self.feedback(y))                   # (B, H)
            y = self.out_proj(h)                                          # (B, O)
            ys.append(y)
        return torch.stack(ys, 1), y
