"""Gradient descent (or ascent) on a function of one parameter vector, with the stopping rule.

Syllabus: optimization.gradient_descent. Notes: 000 L1.12-13, L1.27, X.02; 001 S4.01, S4.06,
S4.12, S11.04; 002 §3.1a; 003 L0.18.

    theta_{k+1} = theta_k - lr grad f(theta_k)       (+ lr grad f for ascent, maximize=True)

every coordinate computed from the old theta_k (a simultaneous update), stopping after
``max_steps`` or as soon as the update is ~0: ||theta_{k+1} - theta_k|| <= tol. Minimise a convex
f, maximise a concave one (001 S11.04 words this loosely). For training a model use
``deepnotes.optim.SGD``, the same rule as a torch optimizer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["GDResult", "gradient_descent"]


@dataclass
class GDResult:
    theta: torch.Tensor          # the last iterate
    steps: int                   # updates made
    converged: bool              # stopped because the update was <= tol
    path: torch.Tensor           # (steps + 1, n) every iterate, theta_0 first


@syllabus("optimization.gradient_descent")
def gradient_descent(f: Callable[[torch.Tensor], torch.Tensor], theta0: torch.Tensor, lr: float,
                     max_steps: int = 10_000, tol: float = 1e-12, maximize: bool = False) -> GDResult:
    """Run gradient descent (ascent if ``maximize``) on scalar ``f`` from ``theta0`` (n,)."""
    expect(lr > 0, "lr", "a positive learning rate", lr)
    expect(isinstance(max_steps, int) and max_steps >= 1, "max_steps", "a positive int", max_steps)
    theta = theta0.detach().clone().reshape(-1)
    sign = 1.0 if maximize else -1.0
    path, converged = [theta], False
    for _ in range(max_steps):
        x = theta.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(x), x)                     # (n,) gradient at the OLD theta
        new = theta + sign * lr * g
        path.append(new)
        done = (new - theta).norm().item() <= tol
        theta = new
        if done:
            converged = True
            break
    return GDResult(theta.reshape(theta0.shape), len(path) - 1, converged, torch.stack(path))
