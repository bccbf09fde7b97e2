"""Elementwise activations: sigmoid, hard sigmoid, tanh, ReLU, binary step and identity.

Syllabus: training.sigmoid, training.tanh, training.relu, training.step_activation.
Notes: 000 L1.18-L1.19, L1.30, L2.54; 001 S2.05-S2.07, S4.04, S6.07; 002 P1, P2, §4.1b; 003 L0.02-L0.04.

    sigmoid(x) = 1 / (1 + exp(-x))            sigmoid' = sigmoid (1 - sigmoid)
    tanh(x)    = (e^x - e^-x) / (e^x + e^-x)  tanh'    = 1 - tanh^2 = sech^2
    relu(x)    = max(0, x)                    relu'    = 1[x > 0]  (0 at x = 0, as torch)
    step(x)    = 1[x > 0]                     step'    = 0 everywhere (no signal for gradient descent)
    hard_sigmoid(x) = clip(x / 6 + 1/2, 0, 1) (torch's Hardsigmoid)

Stable evaluation: sigmoid and tanh are computed from exp(-|x|), which never overflows, so
x = +-1000 gives 0/1 and -1/1 with finite gradients instead of inf/inf. The sign is chosen with
``torch.where`` on a branch variable (not ``abs``) so the gradient at exactly 0 is right.
Every function has a module of torch's name (``Sigmoid``, ``Tanh``, ``ReLU``, ``Hardsigmoid``,
``Identity``) plus ``Step``; :func:`get_activation` maps a name to a fresh module (the notes'
"pluggable activation", 000 L1.32). Equal to torch.sigmoid/tanh/relu (tests/nn/test_activation.py).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["sigmoid", "hard_sigmoid", "tanh", "relu", "step", "identity",
           "Sigmoid", "Hardsigmoid", "Tanh", "ReLU", "Step", "Identity",
           "ACTIVATIONS", "get_activation"]


def _check_float(x: Tensor, name: str = "input") -> None:
    expect(isinstance(x, Tensor), name, "a torch.Tensor", type(x).__name__, TypeError)
    expect(x.is_floating_point(), name, "a floating-point tensor", x.dtype, TypeError)


@syllabus("training.sigmoid")
def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid, evaluated without overflow for any |x|."""
    _check_float(x)
    nonneg = x >= 0
    neg_abs = torch.where(nonneg, -x, x)          # -|x| <= 0, exp never overflows
    z = torch.exp(neg_abs)                         # e^{-|x|} in (0, 1]
    return torch.where(nonneg, 1 / (1 + z), z / (1 + z))   # 1/(1+e^-x) = e^x/(1+e^x)


def hard_sigmoid(x: Tensor) -> Tensor:
    """Piecewise-linear sigmoid: 0 below -3, 1 above 3, x/6 + 1/2 between (torch's Hardsigmoid)."""
    _check_float(x)
    return torch.clamp(x / 6 + 0.5, 0.0, 1.0)


@syllabus("training.tanh")
def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent from e^{-2|x|} (expm1 keeps precision near 0)."""
    _check_float(x)
    nonneg = x >= 0
    a = torch.where(nonneg, x, -x)                 # |x| with gradient +-1 (also at 0)
    e = torch.expm1(-2 * a)                        # e^{-2|x|} - 1 in (-1, 0]
    t = -e / (2 + e)                               # (1 - e^{-2a}) / (1 + e^{-2a}) = tanh(a)
    return torch.where(nonneg, t, -t)


@syllabus("training.relu")
def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x); the gradient at exactly 0 is 0."""
    _check_float(x)
    if inplace:
        return x.mul_(x > 0)
    return torch.where(x > 0, x, torch.zeros((), dtype=x.dtype, device=x.device))


class _StepFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return torch.zeros_like(grad)              # d/dx 1[x>0] = 0 almost everywhere


@syllabus("training.step_activation")
def step(x: Tensor) -> Tensor:
    """Heaviside step 1[x > 0]; its gradient is identically zero."""
    _check_float(x)
    return _StepFunction.apply(x)


def identity(x: Tensor) -> Tensor:
    """The linear (identity) activation."""
    return x


class _Elementwise(nn.Module):
    fn: Callable[[Tensor], Tensor]

    def forward(self, input: Tensor) -> Tensor:
        return type(self).fn(input)


@syllabus("training.sigmoid")
class Sigmoid(_Elementwise):
    """Module form of :func:`sigmoid`."""
    fn = staticmethod(sigmoid)


class Hardsigmoid(_Elementwise):
    """Module form of :func:`hard_sigmoid` (torch.nn.Hardsigmoid)."""
    fn = staticmethod(hard_sigmoid)


@syllabus("training.tanh")
class Tanh(_Elementwise):
    """Module form of :func:`tanh`."""
    fn = staticmethod(tanh)


@syllabus("training.relu")
class ReLU(nn.Module):
    """Module form of :func:`relu` (torch.nn.ReLU, including ``inplace``)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


@syllabus("training.step_activation")
class Step(_Elementwise):
    """Module form of :func:`step`."""
    fn = staticmethod(step)


class Identity(nn.Module):
    """Returns its input (torch.nn.Identity; accepts and ignores constructor arguments)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": Sigmoid, "hard_sigmoid": Hardsigmoid, "tanh": Tanh, "relu": ReLU,
    "step": Step, "identity": Identity, "linear": Identity}


def get_activation(name: str | nn.Module | None) -> nn.Module:
    """A fresh activation module from its name (``"relu"``, ``"tanh"``, ...); modules pass through."""
    if name is None:
        return Identity()
    if isinstance(name, nn.Module):
        return name
    expect(isinstance(name, str) and name in ACTIVATIONS, "activation",
           f"one of {sorted(ACTIVATIONS)} or an nn.Module", name)
    return ACTIVATIONS[name]()
