"""A small reverse-mode autodiff engine on NumPy arrays (micrograd, but with tensors).

Syllabus: autodiff.computational_graph, autodiff.backprop, autodiff.gradient_accumulation,
autodiff.input_gradients. Notes: 002 §4.1c, §4.2a, §5.3c, §6.1d; 001 S4.05, S5.01, S6.01,
S6.05-06, S7.01, S10.02, S17.07, S17.11; 000 X.01; 003 L0.21.

The forward pass builds the graph: every op returns a Tensor that remembers its parents and a
``_backward`` closure holding whatever the derivative needs (the cached intermediates, e.g. tanh's
output). ``y.backward(seed)`` then applies the chain rule in reverse topological order:

    delta_y = seed                                   (1 for a scalar loss; any v gives v^T dy/dx)
    for each op z = f(x_1, ..., x_k), outputs before inputs:
        delta_{x_j} += (df/dx_j)^T delta_z           vector-Jacobian product, linear in delta_z

Ops: + - * / ** (constant power), @, sum, mean, reshape, .T, indexing (x[:, idx], enough to build
a convolution from patches), exp, log, tanh, sigmoid, relu, softmax, log_softmax, and
``cross_entropy``; NumPy broadcasting throughout.

Gradients ACCUMULATE (+=): a tensor used k times (fan-out, a weight shared across positions or
time steps) receives the sum of the k upstream gradients. Broadcasting in the forward pass becomes
a sum over the broadcast axes in the backward pass (``_unbroadcast``). After ``backward`` the graph
is freed (closures and parent links dropped) unless ``retain_graph=True``; a second backward
through a freed graph raises. ``requires_grad=False`` tensors and ``detach()`` stop the flow.

How the notes differ: 001 S10.02 and S17.07 average the per-use updates of a shared weight; the
gradient is their SUM (averaging only rescales the step). 001 S6.01's description of backprop
("nodes with higher error rates get lower weights") is not an algorithm.

Equal to torch.autograd in float64 on random graphs and on an MLP (tests/autodiff/test_engine.py).
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from ..core import expect, syllabus

__all__ = ["Tensor", "cross_entropy"]


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


@syllabus("autodiff.computational_graph", "autodiff.backprop", "autodiff.gradient_accumulation",
          "autodiff.input_gradients")
class Tensor:
    """An array with a gradient: ``data`` (np.ndarray, float64), ``grad`` (same shape or None)."""

    def __init__(self, data, requires_grad: bool = False, _parents: tuple["Tensor", ...] = (),
                 _op: str = ""):
        self.data = np.array(data, dtype=np.float64)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad or any(p.requires_grad for p in _parents)
        self._parents = _parents if self.requires_grad else ()
        # _backward(delta) -> one gradient per parent (None where a parent needs none)
        self._backward: Callable[[np.ndarray], tuple] | None = None
        self._op = _op
        self._freed = False

    # -- building the graph ----------------------------------------------------------------
    def _child(self, data, parents: tuple["Tensor", ...], op: str, backward: Callable) -> "Tensor":
        out = Tensor(data, _parents=parents, _op=op)
        if out.requires_grad:
            out._backward = backward
        return out

    @staticmethod
    def _lift(x) -> "Tensor":
        return x if isinstance(x, Tensor) else Tensor(x)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def T(self) -> "Tensor":
        return self._child(self.data.T, (self,), "T", lambda d: (d.T,))

    def __repr__(self) -> str:
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad})"

    # -- elementwise arithmetic (with NumPy broadcasting) ----------------------------------
    def __add__(self, other) -> "Tensor":
        other = self._lift(other)
        a, b = self.shape, other.shape
        return self._child(self.data + other.data, (self, other), "+",
                           lambda d: (_unbroadcast(d, a), _unbroadcast(d, b)))

    def __mul__(self, other) -> "Tensor":
        other = self._lift(other)
        x, y = self.data, other.data
        return self._child(x * y, (self, other), "*",
                           lambda d: (_unbroadcast(d * y, x.shape), _unbroadcast(d * x, y.shape)))

    def __pow__(self, k: float) -> "Tensor":
        expect(isinstance(k, (int, float)), "k", "a constant exponent", type(k).__name__, TypeError)
        x = self.data
        return self._child(x ** k, (self,), f"**{k}", lambda d: (d * k * x ** (k - 1),))

    def __neg__(self) -> "Tensor":
        return self * -1.0

    def __sub__(self, other) -> "Tensor":
        return self + (-self._lift(other))

    def __truediv__(self, other) -> "Tensor":
        return self * self._lift(other) ** -1.0

    def __radd__(self, other) -> "Tensor":
        return self + other

    def __rmul__(self, other) -> "Tensor":
        return self * other

    def __rsub__(self, other) -> "Tensor":
        return self._lift(other) - self

    def __rtruediv__(self, other) -> "Tensor":
        return self._lift(other) / self

    # -- linear algebra and reductions -----------------------------------------------------
    def __matmul__(self, other) -> "Tensor":
        other = self._lift(other)
        expect(self.data.ndim == 2 and other.data.ndim == 2, "matmul", "two 2-D tensors",
               (self.shape, other.shape))
        x, w = self.data, other.data                                   # (B, I) @ (I, O)
        return self._child(x @ w, (self, other), "@", lambda d: (d @ w.T, x.T @ d))

    def sum(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        shape = self.shape

        def backward(d):
            if axis is not None and not keepdims:
                d = np.expand_dims(d, axis)
            return (np.broadcast_to(d, shape).copy(),)
        return self._child(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum", backward)

    def mean(self, axis: int | None = None, keepdims: bool = False) -> "Tensor":
        n = self.data.size if axis is None else self.shape[axis]
        return self.sum(axis, keepdims) * (1.0 / n)

    def __getitem__(self, index) -> "Tensor":
        """Slicing and integer-array indexing; the backward scatters (and sums repeats) back."""
        shape = self.shape

        def backward(d):
            g = np.zeros(shape)
            np.add.at(g, index, d)               # an element picked twice gets both gradients
            return (g,)
        return self._child(self.data[index], (self,), "[]", backward)

    def reshape(self, *shape: int) -> "Tensor":
        old = self.shape
        return self._child(self.data.reshape(*shape), (self,), "reshape", lambda d: (d.reshape(old),))

    # -- nonlinearities (each caches what its derivative needs) ----------------------------
    def exp(self) -> "Tensor":
        y = np.exp(self.data)
        return self._child(y, (self,), "exp", lambda d: (d * y,))           # (e^x)' = e^x

    def log(self) -> "Tensor":
        x = self.data
        return self._child(np.log(x), (self,), "log", lambda d: (d / x,))

    def tanh(self) -> "Tensor":
        y = np.tanh(self.data)
        return self._child(y, (self,), "tanh", lambda d: (d * (1 - y ** 2),))   # sech^2 = 1 - tanh^2

    def sigmoid(self) -> "Tensor":
        y = 1.0 / (1.0 + np.exp(-self.data))
        return self._child(y, (self,), "sigmoid", lambda d: (d * y * (1 - y),))

    def relu(self) -> "Tensor":
        mask = self.data > 0
        return self._child(self.data * mask, (self,), "relu", lambda d: (d * mask,))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        z = self.data - self.data.max(axis=axis, keepdims=True)             # stable
        out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
        p = np.exp(out)
        return self._child(out, (self,), "log_softmax",
                           lambda d: (d - p * d.sum(axis=axis, keepdims=True),))

    def softmax(self, axis: int = -1) -> "Tensor":
        z = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
        p = z / z.sum(axis=axis, keepdims=True)
        # d softmax: J^T d = p * (d - sum(d p))
        return self._child(p, (self,), "softmax",
                           lambda d: (p * (d - (d * p).sum(axis=axis, keepdims=True)),))

    def detach(self) -> "Tensor":
        """Same values, no graph: gradient does not flow back through the result."""
        return Tensor(self.data.copy())

    # -- the backward pass -----------------------------------------------------------------
    def _topological_order(self) -> list["Tensor"]:
        order, seen, stack = [], set(), [(self, False)]
        while stack:                                       # iterative DFS: deep graphs are fine
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if id(p) not in seen)
        return order[::-1]                                 # outputs first

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(seed . self)/dx into ``x.grad`` for every leaf x that requires grad.

        ``gradient`` (the seed v, shaped like self) defaults to 1 for a scalar.
        """
        expect(self.requires_grad, "self", "a tensor that requires grad", "requires_grad=False",
               RuntimeError)
        if gradient is None:
            expect(self.data.size == 1, "gradient", "a seed for a non-scalar output", None, RuntimeError)
            gradient = np.ones_like(self.data)
        gradient = np.array(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=np.float64)
        expect(gradient.shape == self.shape, "gradient", f"shape {self.shape}", gradient.shape)
        deltas = {id(self): gradient}
        for node in self._topological_order():
            delta = deltas.pop(id(node), None)
            if delta is None:
                continue
            if not node._parents:                          # a leaf: accumulate (sum over uses)
                if node._freed:
                    raise RuntimeError("backward: expected a graph that is still alive, got one freed "
                                       "by an earlier backward (pass retain_graph=True)")
                if node.requires_grad:
                    node.grad = delta.copy() if node.grad is None else node.grad + delta
                continue
            for parent, g in zip(node._parents, node._backward(delta)):
                if g is None or not parent.requires_grad:
                    continue
                deltas[id(parent)] = g if id(parent) not in deltas else deltas[id(parent)] + g
            if not retain_graph:                           # free the graph and its cached arrays
                node._parents, node._backward, node._freed = (), None, True

    def zero_grad(self) -> None:
        self.grad = None


def cross_entropy(logits: Tensor, target: Iterable[int]) -> Tensor:
    """Mean of -log softmax(logits)[i, y_i] over the batch; logits (B, C), target (B,) ints."""
    target = np.asarray(target)
    expect(logits.data.ndim == 2 and target.shape == (logits.shape[0],), "target",
           f"a ({logits.shape[0]},) array of class indices for logits {logits.shape}", target.shape)
    onehot = np.zeros(logits.shape)
    onehot[np.arange(len(target)), target] = 1.0                         # (B, C)
    return -(logits.log_softmax(axis=1) * onehot).sum() * (1.0 / len(target))
