"""Multilayer perceptron with a pluggable activation, and the collapse of linear activations.

Syllabus: training.mlp, training.linear_activation_collapse.
Notes: 000 L1.21-L1.24, L1.31-L1.33, L2.17; 001 S2.03, S2.04, S2.08, S17.10.

    a^(0) = x
    a^(l) = phi(W^(l) a^(l-1) + b^(l))                 l = 1..L-1 (hidden layers)
    a^(l) = a^(l-1) + phi(W^(l) a^(l-1) + b^(l))       with residual=True, where widths match
    y     = W^(L) a^(L-1) + b^(L)                      (the output layer has no activation)

One hidden layer written unit by unit (000's scalar form) is the same function as the matrix form:

    y = b + sum_i c_i phi(b_i + sum_j w_ij x_j)  ==  b + c^T phi(b_vec + W x)

With phi = identity, depth buys nothing: W_L ... W_2 W_1 x + (biases) = W x + b, one affine map,
so the decision boundary stays a hyperplane (001 S2.08); :func:`collapse_linear` multiplies it out.
Optional batch/layer norm goes after each hidden linear map, dropout after each activation.
Errata: 001 S17.10 calls ReLU a "squashing" function; ReLU is unbounded above.
Scalar = matrix form, collapse, and digits accuracy in tests/nn/test_mlp.py.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from .activation import Identity, get_activation
from .dropout import Dropout
from .linear import Linear
from .normalization import BatchNorm1d, LayerNorm

__all__ = ["MLP", "mlp_scalar_form", "collapse_linear"]


@syllabus("training.mlp")
class MLP(nn.Module):
    """in -> hidden[0] -> ... -> hidden[-1] -> out, activation after every hidden layer.

    ``norm`` is None, "batch" or "layer"; ``residual`` adds a skip around every hidden layer whose
    input and output widths match; ``forward(x, return_hidden=True)`` also returns the list of
    hidden pre-activations (the inputs of phi), for activation statistics per layer.
    """

    def __init__(self, in_features: int, hidden_features: Sequence[int], out_features: int,
                 activation: str | Callable[[], nn.Module] = "relu", bias: bool = True,
                 residual: bool = False, norm: str | None = None, dropout: float = 0.0,
                 generator: torch.Generator | None = None):
        super().__init__()
        hidden = list(hidden_features)
        expect(all(isinstance(h, int) and h > 0 for h in hidden), "hidden_features",
               "a sequence of positive ints", hidden_features)
        expect(norm in (None, "batch", "layer"), "norm", "None, 'batch' or 'layer'", norm)
        widths = [in_features] + hidden
        self.in_features, self.out_features, self.residual = in_features, out_features, residual
        self.layers = nn.ModuleList(Linear(a, b, bias=bias, generator=generator)
                                    for a, b in zip(widths[:-1], widths[1:]))
        make_act = (lambda: get_activation(activation)) if isinstance(activation, str) else activation
        self.acts = nn.ModuleList(make_act() for _ in hidden)
        if norm == "batch":
            self.norms = nn.ModuleList(BatchNorm1d(h) for h in hidden)
        elif norm == "layer":
            self.norms = nn.ModuleList(LayerNorm(h) for h in hidden)
        else:
            self.norms = nn.ModuleList(Identity() for _ in hidden)
        self.drops = nn.ModuleList((Dropout(dropout, generator=generator) if dropout > 0 else Identity())
                                   for _ in hidden)
        self.head = Linear(widths[-1], out_features, bias=bias, generator=generator)

    def forward(self, x: Tensor, return_hidden: bool = False):
        expect(x.dim() == 2 and x.shape[1] == self.in_features, "x",
               f"a tensor shaped (N, {self.in_features})", tuple(x.shape))
        pre_acts = []
        h = x                                                   # (N, in)
        for layer, norm, act, drop in zip(self.layers, self.norms, self.acts, self.drops):
            z = norm(layer(h))                                  # (N, width)
            pre_acts.append(z)
            a = drop(act(z))
            h = h + a if (self.residual and a.shape == h.shape) else a
        y = self.head(h)                                        # (N, out)
        return (y, pre_acts) if return_hidden else y


@syllabus("training.mlp")
def mlp_scalar_form(x: Tensor, W: Tensor, b_hidden: Tensor, c: Tensor, b: Tensor | float,
                    activation: Callable[[Tensor], Tensor]) -> Tensor:
    """000's unit-by-unit form for one example: y = b + sum_i c_i phi(b_i + sum_j w_ij x_j).

    x (D,), W (H, D), b_hidden (H,), c (H,) or (O, H) for O outputs, b scalar or (O,).
    """
    expect(x.dim() == 1 and W.dim() == 2 and W.shape[1] == x.shape[0], "W",
           f"a matrix shaped (H, {x.shape[0]})", tuple(W.shape))
    c2 = c if c.dim() == 2 else c.unsqueeze(0)                  # (O, H)
    outputs = []
    for o in range(c2.shape[0]):
        y = b[o] if isinstance(b, Tensor) and b.dim() == 1 else b
        for i in range(W.shape[0]):                              # each hidden unit
            z = b_hidden[i]
            for j in range(W.shape[1]):                          # each input feature
                z = z + W[i, j] * x[j]
            y = y + c2[o, i] * activation(z)
        outputs.append(torch.as_tensor(y, dtype=x.dtype))
    out = torch.stack(outputs)
    return out if c.dim() == 2 else out[0]


@syllabus("training.linear_activation_collapse")
def collapse_linear(model: nn.Module) -> Linear:
    """The single affine map W x + b equal to a network whose activations are all the identity.

    Accepts an :class:`MLP` with identity activations and no norm/dropout (residual allowed:
    a + W a = (I + W) a), or an ``nn.Sequential`` of linear layers and identities.
    """
    if isinstance(model, MLP):
        for act, norm, drop in zip(model.acts, model.norms, model.drops):
            expect(isinstance(act, (Identity, nn.Identity)), "model",
                   "an MLP with identity activations", type(act).__name__)
            expect(isinstance(norm, Identity) and isinstance(drop, Identity), "model",
                   "an MLP without normalisation or dropout", (type(norm).__name__, type(drop).__name__))
        steps = [(l, model.residual and l.in_features == l.out_features) for l in model.layers]
        steps.append((model.head, False))
    elif isinstance(model, nn.Sequential):
        steps = []
        for m in model:
            if isinstance(m, (Identity, nn.Identity)):
                continue
            expect(isinstance(getattr(m, "weight", None), Tensor) and m.weight.dim() == 2, "model",
                   "a Sequential of linear layers and identities", type(m).__name__)
            steps.append((m, False))
    else:
        raise TypeError(f"model: expected an MLP or an nn.Sequential, got {type(model).__name__}")
    first = steps[0][0].weight
    W = torch.eye(first.shape[1], dtype=first.dtype, device=first.device)   # (in, in)
    b = torch.zeros(first.shape[1], dtype=first.dtype, device=first.device)
    with torch.no_grad():
        for layer, skip in steps:
            Wl = layer.weight                                               # (out_l, in_l)
            bl = layer.bias if layer.bias is not None else torch.zeros_like(Wl[:, 0])
            W_new, b_new = Wl @ W, Wl @ b + bl                              # compose affine maps
            W, b = (W + W_new, b + b_new) if skip else (W_new, b_new)
        out = Linear(W.shape[1], W.shape[0], device=W.device, dtype=W.dtype)
        out.weight.copy_(W)
        out.bias.copy_(b)
    return out
