"""Integrated Gradients (Sundararajan et al. 2017), Captum's ``IntegratedGradients``.

Syllabus: interpretability.integrated_gradients. Notes: 000 L9.06, L9.07.

    IG_i(x) = (x_i - x'_i) * integral_0^1  dF(x' + a (x - x')) / dx_i  da

approximated with m points a_k and weights w_k (Riemann left/right/middle/trapezoid, or
Gauss-Legendre, Captum's default). Completeness: sum_i IG_i = F(x) - F(x') up to the quadrature
error, which the returned ``delta`` measures. Where plain gradients saturate (f = min(x, 1) at
x = 2 has gradient 0) IG still credits the input (IG = 1). All m scaled inputs of a batch go
through the model in ONE forward/backward (``internal_batch_size`` splits it when memory is short).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..core import expect, syllabus
from ._target import select_target

__all__ = ["riemann_points", "integrated_gradients"]

_METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre")


def riemann_points(n_steps: int, method: str = "gausslegendre") -> tuple[list[float], list[float]]:
    """(alphas, weights) in [0, 1] with sum(weights) = 1, for ``method`` and ``n_steps`` points."""
    expect(method in _METHODS, "method", f"one of {_METHODS}", method)
    expect(n_steps >= (2 if method == "riemann_trapezoid" else 1), "n_steps", "enough steps (>= 2 for trapezoid)",
           n_steps)
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n_steps)
        return list(0.5 * (x + 1)), list(0.5 * w)
    if method == "riemann_trapezoid":
        alphas = list(np.linspace(0, 1, n_steps))
        w = [1.0 / (n_steps - 1)] * n_steps
        w[0] = w[-1] = 0.5 / (n_steps - 1)
        return alphas, w
    offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
    return [(k + offset) / n_steps for k in range(n_steps)], [1.0 / n_steps] * n_steps


@syllabus("interpretability.integrated_gradients")
def integrated_gradients(model: torch.nn.Module, inputs: torch.Tensor, target: Any = None,
                         baselines: torch.Tensor | float | None = None, n_steps: int = 50,
                         method: str = "gausslegendre", internal_batch_size: int | None = None,
                         return_convergence_delta: bool = False):
    """IG attributions shaped like ``inputs`` (and ``delta`` = sum IG - (F(x) - F(x')) per example)."""
    B = inputs.size(0)
    if baselines is None:
        baselines = torch.zeros_like(inputs)
    elif not isinstance(baselines, torch.Tensor):
        baselines = torch.full_like(inputs, float(baselines))
    baselines = baselines.expand_as(inputs).to(inputs.dtype)
    alphas, weights = riemann_points(n_steps, method)
    a = torch.tensor(alphas, dtype=inputs.dtype, device=inputs.device).view(-1, 1, *([1] * (inputs.dim() - 1)))
    w = torch.tensor(weights, dtype=inputs.dtype, device=inputs.device)
    diff = (inputs - baselines).detach()                                        # (B, ...)
    scaled = (baselines.unsqueeze(0) + a * diff.unsqueeze(0)).reshape(n_steps * B, *inputs.shape[1:])
    tgt = target
    if isinstance(target, (list, tuple)) or (isinstance(target, torch.Tensor) and target.dim() > 0):
        tgt = torch.as_tensor(target).reshape(-1).repeat(n_steps)               # step-major like scaled
    chunk = internal_batch_size or scaled.size(0)
    grads = []
    for s in range(0, scaled.size(0), chunk):
        x = scaled[s:s + chunk].detach().requires_grad_(True)
        t = tgt[s:s + chunk] if isinstance(tgt, torch.Tensor) else tgt
        with torch.enable_grad():
            (g,) = torch.autograd.grad(select_target(model(x), t).sum(), x)
        grads.append(g)
    grads = torch.cat(grads).view(n_steps, *inputs.shape)                       # (m, B, ...)
    avg = (w.view(-1, *([1] * inputs.dim())) * grads).sum(0)                    # (B, ...)
    attr = diff * avg
    if not return_convergence_delta:
        return attr
    with torch.no_grad():
        t_end = tgt[:B] if isinstance(tgt, torch.Tensor) else tgt
        gap = select_target(model(inputs), t_end) - select_target(model(baselines), t_end)
    return attr, attr.reshape(B, -1).sum(1) - gap
