"""The mini-batch gradient: unbiased, with variance shrinking as 1/B.

Syllabus: optimization.minibatch_gradient_variance. Notes: 000 L2.34; 001 S4.15, S5.06; 002 §3.4c.

With per-example gradients g_i (i = 1..N) and full gradient G = mean_i g_i, a batch of B indices
drawn uniformly WITH replacement gives g_B = mean_{i in B} g_i, and

    E[g_B] = G,       E||g_B - G||^2 = sigma^2 / B,     sigma^2 = mean_i ||g_i - G||^2

(without replacement the variance carries the factor (N - B)/(N - 1) as well).
``per_example_gradients`` computes every g_i in one vectorised pass (torch.func.vmap of grad);
``minibatch_gradient_variance`` measures E||g_B - G||^2 by sampling batches.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.func import functional_call, grad, vmap

from ..core import expect, syllabus

__all__ = ["per_example_gradients", "gradient_noise_scale", "minibatch_gradient_variance"]


@syllabus("optimization.minibatch_gradient_variance")
def per_example_gradients(model: torch.nn.Module, loss_fn: Callable, x: torch.Tensor,
                          y: torch.Tensor) -> torch.Tensor:
    """(N, P): row i is the flattened gradient of loss_fn(model(x_i), y_i)."""
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}

    def one(p, xi, yi):
        out = functional_call(model, p, (xi[None],))
        return loss_fn(out, yi[None])

    grads = vmap(grad(one), in_dims=(None, 0, 0))(params, x, y)
    return torch.cat([grads[k].reshape(len(x), -1) for k in params], dim=1)


@syllabus("optimization.minibatch_gradient_variance")
def gradient_noise_scale(per_example: torch.Tensor) -> float:
    """sigma^2 = mean_i ||g_i - G||^2, the variance of a single-example gradient."""
    expect(per_example.dim() == 2, "per_example", "an (N, P) matrix of gradients", tuple(per_example.shape))
    centred = per_example - per_example.mean(0)
    return (centred ** 2).sum(1).mean().item()


@syllabus("optimization.minibatch_gradient_variance")
def minibatch_gradient_variance(per_example: torch.Tensor, batch_size: int, num_batches: int = 2000,
                                replacement: bool = True,
                                generator: torch.Generator | None = None) -> tuple[torch.Tensor, float]:
    """(mean of g_B over sampled batches, E||g_B - G||^2 estimated from them)."""
    n = per_example.shape[0]
    expect(1 <= batch_size <= n or replacement, "batch_size", f"1..{n} without replacement", batch_size)
    if replacement:
        idx = torch.randint(n, (num_batches, batch_size), generator=generator)      # (K, B)
    else:
        idx = torch.stack([torch.randperm(n, generator=generator)[:batch_size] for _ in range(num_batches)])
    g_b = per_example[idx].mean(1)                                                  # (K, P)
    full = per_example.mean(0)                                                      # (P,)
    return g_b.mean(0), ((g_b - full) ** 2).sum(1).mean().item()
