"""Backpropagation through time: the scalar recurrence by hand, truncated BPTT with gradient
clipping, and how gradients vanish or explode through repeated weights.

Syllabus: sequences.bptt, sequences.truncated_bptt, sequences.rnn_gradient_pathology.
Notes: 000 L4.36-L4.40; 001 S17.04, S17.08, S17.12-13; 002 §6.1d-e; 003 L6.09, L6.13-L6.15.

Scalar RNN h_t = sigma(u x_t + w h_{t-1}): the shared weights get the SUM over time,

    dh_t/dw = sigma'(a_t) (h_{t-1} + w dh_{t-1}/dw),   dh_t/du = sigma'(a_t) (x_t + w dh_{t-1}/du)

and dh_T/dh_0 = prod_t diag(f'(a_t)) W_hh, so for a linear RNN with W_hh = cI its norm is |c|^T:
w = 1.01 over 1000 steps gives 20959, w = 0.99 gives 4.3e-5.

Truncated BPTT carries the hidden state across chunks of k steps but detaches it, so no
gradient reaches a state more than k steps back; with k >= T it is full BPTT.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["scalar_rnn_forward", "scalar_rnn_bptt", "detach_state", "truncated_bptt_chunks",
           "truncated_bptt_step", "state_jacobian_norms", "repeated_weight_gradient"]


def scalar_rnn_forward(x: Tensor, u: Tensor, w: Tensor, h0: Tensor | float = 0.0) -> Tensor:
    """h_t = sigmoid(u x_t + w h_{t-1}) for a 1-D input x (T,); returns h (T,)."""
    h, hs = torch.as_tensor(h0, dtype=x.dtype), []
    for t in range(x.shape[0]):
        h = torch.sigmoid(u * x[t] + w * h)
        hs.append(h)
    return torch.stack(hs)


@syllabus("sequences.bptt")
def scalar_rnn_bptt(x: Tensor, u: float, w: float, h0: float = 0.0) -> tuple[Tensor, Tensor]:
    """dh_T/du and dh_T/dw by the forward recurrence above (no autograd)."""
    h, du, dw = torch.tensor(h0, dtype=x.dtype), torch.tensor(0.0, dtype=x.dtype), torch.tensor(0.0, dtype=x.dtype)
    for t in range(x.shape[0]):
        a = u * x[t] + w * h
        s = torch.sigmoid(a)
        ds = s * (1 - s)                                      # sigma'(a_t)
        du, dw = ds * (x[t] + w * du), ds * (h + w * dw)      # uses h_{t-1} before updating it
        h = s
    return du, dw


def detach_state(state):
    """Cut the graph behind a hidden state (a tensor or a tuple such as LSTM's (h, c))."""
    if state is None:
        return None
    return state.detach() if isinstance(state, Tensor) else tuple(s.detach() for s in state)


@syllabus("sequences.truncated_bptt")
def truncated_bptt_chunks(x: Tensor, y: Tensor, k: int) -> Iterator[tuple[Tensor, Tensor]]:
    """Split batch-first (B, T, ...) inputs and targets into consecutive chunks of k steps."""
    expect(k >= 1, "k", "a chunk length >= 1", k)
    expect(x.shape[1] == y.shape[1], "y", f"the input's length {x.shape[1]}", tuple(y.shape))
    for s in range(0, x.shape[1], k):
        yield x[:, s:s + k], y[:, s:s + k]


@syllabus("sequences.truncated_bptt")
def truncated_bptt_step(model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor, y: Tensor,
                        k: int, optimizer: torch.optim.Optimizer | None = None, max_grad_norm: float | None = None,
                        state=None):
    """One pass over a long batch in chunks of k steps; ``model(x_chunk, state) -> (out, state)``.

    The state is carried over and detached between chunks; with an optimizer, each chunk is one
    update (gradients clipped to ``max_grad_norm``). Returns (mean chunk loss, final state).
    """
    total, n = 0.0, 0
    for xc, yc in truncated_bptt_chunks(x, y, k):
        out, state = model(xc, detach_state(state))
        loss = loss_fn(out, yc)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        if optimizer is not None:
            optimizer.step()
        total, n = total + loss.item(), n + 1
    return total / max(n, 1), detach_state(state)


@syllabus("sequences.rnn_gradient_pathology")
def state_jacobian_norms(step: Callable[[Tensor, Tensor], Tensor], x: Tensor, h0: Tensor) -> Tensor:
    """||dh_T/dh_t||_2 for t = 0..T-1, for one sequence x (T, X) and a cell ``step(x_t, h) -> h``.

    Entry t is the gradient norm through T - t steps (the lag), computed by backprop of each
    output unit of h_T to every intermediate state.
    """
    h = h0.detach().requires_grad_()
    hs = []                                                     # h_0 .. h_{T-1}
    for t in range(x.shape[0]):
        hs.append(h)
        h = step(x[t], h)                                       # h_{t+1}
    H = h.shape[-1]
    rows = []
    for i in range(H):                                          # one backward per unit of h_T
        g = torch.autograd.grad(h[..., i].sum(), hs, retain_graph=True, allow_unused=True)
        rows.append(torch.stack([gi.reshape(-1) if gi is not None else torch.zeros(H, dtype=h.dtype) for gi in g]))
    J = torch.stack(rows, 1)                                    # (T, H_out, H_in)
    return torch.linalg.matrix_norm(J, 2)                       # (T,)


@syllabus("sequences.rnn_gradient_pathology")
def repeated_weight_gradient(w: float, n: int) -> float:
    """y = w^N through N repetitions of the same weight: dy/dx for x -> w x applied N times."""
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = w * y
    (g,) = torch.autograd.grad(y, x)
    return g.item()
