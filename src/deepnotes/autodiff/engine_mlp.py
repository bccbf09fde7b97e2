"""A multilayer perceptron and plain gradient descent on the teaching engine's Tensor.

Syllabus: autodiff.backprop (what the engine is for). Notes: 002 §4.2a; 001 S6.05.

    h_0 = x;  h_l = act(h_{l-1} W_l^T + b_l)   (no activation after the last layer)

Weights are stored as torch.nn.Linear stores them, W (out, in) and b (out,), initialised
U(-1/sqrt(in), 1/sqrt(in)) from a seeded NumPy generator, so the same numbers can be copied into a
torch model and the gradients compared (tests/autodiff/test_engine.py).
"""
from __future__ import annotations

import numpy as np

from ..core import expect
from .engine import Tensor

__all__ = ["EngineMLP", "engine_sgd_step"]


class EngineMLP:
    """``EngineMLP([64, 32, 10], activation="tanh", seed=0)``; call it on a (B, 64) Tensor."""

    ACTIVATIONS = ("tanh", "relu", "sigmoid")

    def __init__(self, sizes: list[int], activation: str = "tanh", seed: int = 0):
        expect(len(sizes) >= 2 and all(int(s) > 0 for s in sizes), "sizes",
               "at least two positive layer widths", sizes)
        expect(activation in self.ACTIVATIONS, "activation", f"one of {self.ACTIVATIONS}", activation)
        rng = np.random.default_rng(seed)
        self.activation = activation
        self.layers: list[tuple[Tensor, Tensor]] = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / np.sqrt(n_in)
            w = Tensor(rng.uniform(-bound, bound, (n_out, n_in)), requires_grad=True)   # (out, in)
            b = Tensor(rng.uniform(-bound, bound, (n_out,)), requires_grad=True)         # (out,)
            self.layers.append((w, b))

    def parameters(self) -> list[Tensor]:
        return [t for layer in self.layers for t in layer]

    def __call__(self, x: Tensor) -> Tensor:
        for i, (w, b) in enumerate(self.layers):
            x = x @ w.T + b                                          # (B, out)
            if i < len(self.layers) - 1:
                x = getattr(x, self.activation)()
        return x


def engine_sgd_step(params: list[Tensor], lr: float) -> None:
    """theta <- theta - lr grad, then clear the gradients."""
    for p in params:
        if p.grad is not None:
            p.data -= lr * p.grad
            p.grad = None
