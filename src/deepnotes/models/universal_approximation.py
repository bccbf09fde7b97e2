"""Universal approximation: sums of sigmoids or ReLUs approximate a function of one variable.

Syllabus: foundations.universal_approximation.
Notes: 000 L1.17-L1.21, L1.30, L1.31; 001 S2.10, S2.11.

A piecewise-linear curve is a constant plus a sum of "hard sigmoids", and each hard sigmoid is
two ReLUs:

    h(x) = c clip((x - a) / (b - a), 0, 1) = (c / (b - a)) [relu(x - a) - relu(x - b)]

A smooth sigmoid c sigmoid(w (x - t)) approaches the hard one as w grows, so

    y = b + sum_i c_i sigmoid(b_i + w_i x)

approximates any continuous function on an interval once it has enough units.
:class:`SigmoidSum` / :class:`ReLUSum` are that one-hidden-layer net (an nn.Linear(1, k), the
activation, an nn.Linear(k, 1)); ``fit_output`` places the units on a grid over the interval and
solves the output layer by least squares, so the error is a property of the width alone;
:func:`relu_interpolant` writes down a ReLU net that reproduces a piecewise-linear curve exactly.
Tests: the two-ReLU identity on a grid; exact piecewise-linear fit; sup error on sin falls with
width (tests/models/test_universal_approximation.py).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["hard_sigmoid_relu", "SigmoidSum", "ReLUSum", "relu_interpolant"]


@syllabus("foundations.universal_approximation")
def hard_sigmoid_relu(x: Tensor, a: float, b: float, c: float = 1.0) -> Tensor:
    """c clip((x - a)/(b - a), 0, 1) written as (c/(b - a)) [relu(x - a) - relu(x - b)]."""
    expect(b > a, "b", f"a breakpoint above a={a}", b)
    return c / (b - a) * (torch.relu(x - a) - torch.relu(x - b))


class _OneHiddenLayer(nn.Module):
    activation = staticmethod(torch.sigmoid)

    def __init__(self, units: int, dtype: torch.dtype | None = None):
        super().__init__()
        expect(isinstance(units, int) and units >= 1, "units", "a positive int", units)
        self.units = units
        self.hidden = nn.Linear(1, units, dtype=dtype)      # b_i + w_i x
        self.out = nn.Linear(units, 1, dtype=dtype)         # b + sum_i c_i (.)

    def features(self, x: Tensor) -> Tensor:
        expect(isinstance(x, Tensor) and x.dim() == 1, "x", "a 1-D tensor of inputs (N,)",
               tuple(getattr(x, "shape", ())))
        return self.activation(self.hidden(x[:, None]))     # (N, k)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x)).squeeze(-1)       # (N,)

    @torch.no_grad()
    def fit_output(self, x: Tensor, y: Tensor, low: float, high: float) -> "_OneHiddenLayer":
        """Place unit i at t_i on a uniform grid over [low, high], then least-squares the output."""
        self._place_units(low, high)
        phi = torch.cat([self.features(x), torch.ones(len(x), 1, dtype=x.dtype)], 1)  # (N, k + 1)
        sol = torch.linalg.lstsq(phi, y[:, None]).solution.squeeze(1)               # (k + 1,)
        self.out.weight.copy_(sol[None, :-1])
        self.out.bias.copy_(sol[-1:])
        return self


@syllabus("foundations.universal_approximation")
class SigmoidSum(_OneHiddenLayer):
    """y = b + sum_i c_i sigmoid(b_i + w_i x) with ``units`` sigmoids."""

    def _place_units(self, low: float, high: float) -> None:
        centres = torch.linspace(low, high, self.units + 2)[1:-1] if self.units > 1 else torch.tensor([(low + high) / 2])
        slope = (self.units + 1) / (high - low)              # steeper as the grid gets finer
        self.hidden.weight.copy_(torch.full((self.units, 1), slope))
        self.hidden.bias.copy_(-slope * centres)


@syllabus("foundations.universal_approximation")
class ReLUSum(_OneHiddenLayer):
    """y = b + sum_i c_i relu(b_i + w_i x) with ``units`` ReLUs."""

    activation = staticmethod(torch.relu)

    def _place_units(self, low: float, high: float) -> None:
        knots = torch.linspace(low, high, self.units + 1)[:-1]
        self.hidden.weight.copy_(torch.ones(self.units, 1))
        self.hidden.bias.copy_(-knots)


@syllabus("foundations.universal_approximation")
def relu_interpolant(knots: Tensor, values: Tensor) -> ReLUSum:
    """A ReLUSum equal to the piecewise-linear curve through (knots, values) on [knots[0], knots[-1]].

    Unit i starts at knot i with the change of slope there; ``len(knots) - 1`` units.
    """
    expect(knots.dim() == 1 and len(knots) >= 2 and bool((knots.diff() > 0).all()), "knots",
           "an increasing 1-D tensor with at least 2 entries", knots)
    expect(values.shape == knots.shape, "values", f"shape {tuple(knots.shape)}", tuple(values.shape))
    slopes = values.diff() / knots.diff()                                 # (k,) slope per segment
    change = torch.cat([slopes[:1], slopes.diff()])                       # (k,) slope added at knot i
    net = ReLUSum(len(knots) - 1, dtype=knots.dtype)
    with torch.no_grad():
        net.hidden.weight.copy_(torch.ones_like(net.hidden.weight))
        net.hidden.bias.copy_(-knots[:-1])
        net.out.weight.copy_(change[None])
        net.out.bias.copy_(values[:1])
    return net
