"""Activation maximisation: find the input that most excites a unit, filter or class.

Syllabus: interpretability.activation_maximization, interpretability.generator_constrained_am.
Notes: 000 L9.11-L9.15; 001 S11.05; 002 §5.3e, §5.3f, P11.

    x* = argmax_x  S(x) - lambda_2 ||x||_2^2 - lambda_1 ||x||_1     (network frozen)

by gradient ascent on x, with the image priors of Yosinski et al. applied between steps:
Gaussian blur every ``blur_every`` steps, zeroing pixels with |x| below ``small_threshold``, and
random jitter (roll) before each step (undone after). The L1 term is applied as a proximal
soft-threshold step, so it produces exact zeros. S is any scalar of the network: a unit, a
filter's summed activation sum_ij a_ij, or a pre-softmax class logit (the softmax can be
increased by lowering the other classes). 002 writes argmax S(x) + lambda ||x||^2; the prior
must be subtracted (a maximised +||x||^2 diverges). For a linear unit w^T x with the L2 prior,
the ascent converges to x* = w / (2 lambda_2).

Generator-constrained: z* = argmax_z S(G(z)) - lambda ||z||^2, explanation X* = G(z*), which lies
in the generator's range by construction.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["gaussian_blur", "activation_maximization", "generator_constrained_am"]


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W) images with reflect padding."""
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    C = x.size(1)
    pad = min(radius, x.size(-1) - 1, x.size(-2) - 1)
    k = k[radius - pad: radius + pad + 1]
    x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)


@syllabus("interpretability.activation_maximization")
def activation_maximization(objective: Callable[[torch.Tensor], torch.Tensor], init: torch.Tensor,
                            steps: int = 200, lr: float = 0.1, l2: float = 0.0, l1: float = 0.0,
                            blur_every: int = 0, blur_sigma: float = 0.5, small_threshold: float = 0.0,
                            jitter: int = 0, clamp: tuple[float, float] | None = None,
                            generator: torch.Generator | None = None) -> tuple[torch.Tensor, list[float]]:
    """Gradient ascent on x from ``init``; ``objective(x)`` returns S per example (B,).

    Returns (x*, history of mean S(x)).
    """
    expect(steps >= 0, "steps", "a non-negative integer", steps)
    expect(l1 >= 0 and l2 >= 0, "l1, l2", "non-negative weights", (l1, l2))
    x = init.detach().clone()
    history: list[float] = []
    for step in range(steps):
        if jitter:
            dy, dx = (int(v) for v in torch.randint(-jitter, jitter + 1, (2,), generator=generator))
            x = torch.roll(x, (dy, dx), dims=(-2, -1))
        x.requires_grad_(True)
        with torch.enable_grad():
            s = objective(x)
            (g,) = torch.autograd.grad((s.sum() - l2 * x.pow(2).sum()), x)
        history.append(float(s.detach().mean()))
        with torch.no_grad():
            x = x.detach() + lr * g
            if l1:
                x = torch.sign(x) * torch.clamp(x.abs() - lr * l1, min=0.0)   # prox of lr * l1 |x|
            if jitter:
                x = torch.roll(x, (-dy, -dx), dims=(-2, -1))
            if blur_every and (step + 1) % blur_every == 0:
                x = gaussian_blur(x, blur_sigma)
            if small_threshold:
                x = torch.where(x.abs() < small_threshold, torch.zeros_like(x), x)
            if clamp is not None:
                x = x.clamp(*clamp)
    return x.detach(), history


@syllabus("interpretability.generator_constrained_am")
def generator_constrained_am(decoder: Callable[[torch.Tensor], torch.Tensor],
                             objective: Callable[[torch.Tensor], torch.Tensor], z0: torch.Tensor,
                             steps: int = 200, lr: float = 0.05, l2: float = 0.0
                             ) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Ascend S(G(z)) over the latent code; returns (z*, X* = G(z*), history of mean S)."""
    z = z0.detach().clone()
    history = []
    for _ in range(steps):
        z.requires_grad_(True)
        with torch.enable_grad():
            s = objective(decoder(z))                                           # (B,)
            (g,) = torch.autograd.grad(s.sum() - l2 * z.pow(2).sum(), z)
        history.append(float(s.detach().mean()))
        z = (z + lr * g).detach()
    with torch.no_grad():
        x = decoder(z)
        history.append(float(objective(x).mean()))
    return z, x, history
