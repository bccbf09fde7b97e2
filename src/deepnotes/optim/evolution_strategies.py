"""Evolution strategies: a gradient estimate from function values alone.

Syllabus: optimization.evolution_strategies. Notes: 003 L9.23.

Smooth f with Gaussian noise, J(theta) = E_{eps ~ N(0, I)} f(theta + sigma eps). Its gradient is
an expectation we can sample, no backprop needed:

    grad J(theta) = E[f(theta + sigma eps) eps] / sigma
                  ~ 1/(2 n sigma) sum_i (f(theta + sigma eps_i) - f(theta - sigma eps_i)) eps_i

with n antithetic pairs (+eps, -eps), which cancel the constant part of f and cut the variance.
``rank_normalize`` replaces the 2n fitness values by their centred ranks in [-0.5, 0.5]
(robust to the scale of f; then the estimate is a search direction, not an unbiased gradient).
For a quadratic f, J and f have the same gradient, so the raw estimator is unbiased for grad f.

``EvolutionStrategies`` is a torch optimizer whose ``step(closure)`` evaluates f through the
closure (no grad) and moves theta by -lr times the estimate (+lr with maximize=True).
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus
from ._checks import check_lr, check_params

__all__ = ["es_gradient", "EvolutionStrategies"]


def _centred_ranks(x: torch.Tensor) -> torch.Tensor:
    ranks = torch.empty_like(x)
    ranks[x.argsort()] = torch.arange(len(x), dtype=x.dtype)
    return ranks / (len(x) - 1) - 0.5


@syllabus("optimization.evolution_strategies")
def es_gradient(f: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor, sigma: float = 0.1,
                pairs: int = 50, rank_normalize: bool = False,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Antithetic ES estimate of grad E f(theta + sigma eps); ``f`` maps (P, n) -> (P,)."""
    expect(theta.dim() == 1, "theta", "a 1-D parameter vector", tuple(theta.shape))
    expect(sigma > 0, "sigma", "a positive noise scale", sigma)
    expect(pairs >= 1, "pairs", "at least one antithetic pair", pairs)
    eps = torch.randn(pairs, theta.numel(), generator=generator, dtype=theta.dtype)  # (n, d)
    pop = torch.cat([theta + sigma * eps, theta - sigma * eps])                     # (2n, d)
    fit = f(pop).reshape(-1)                                                        # (2n,)
    if rank_normalize:
        fit = _centred_ranks(fit)
    diff = fit[:pairs] - fit[pairs:]                                                # (n,)
    return (diff[:, None] * eps).sum(0) / (2 * pairs * sigma)                       # (d,)


@syllabus("optimization.evolution_strategies")
class EvolutionStrategies(torch.optim.Optimizer):
    """``step(closure)``: closure(theta_batch (P, n)) -> f values (P,), theta all params flattened."""

    def __init__(self, params, lr: float = 0.01, sigma: float = 0.1, pairs: int = 50,
                 rank_normalize: bool = True, *, maximize: bool = False,
                 generator: torch.Generator | None = None):
        params = check_params(params)
        check_lr(lr)
        expect(sigma > 0, "sigma", "a positive noise scale", sigma)
        expect(isinstance(pairs, int) and pairs >= 1, "pairs", "a positive int", pairs)
        super().__init__(params, dict(lr=lr, sigma=sigma, pairs=pairs, rank_normalize=rank_normalize,
                                      maximize=maximize))
        self.generator = generator

    @torch.no_grad()
    def step(self, closure=None):
        expect(callable(closure), "closure", "a callable mapping a (P, n) batch of thetas to (P,) values",
               closure, TypeError)
        group = self.param_groups[0]
        params = [p for g in self.param_groups for p in g["params"]]
        theta = torch.cat([p.reshape(-1) for p in params])
        grad = es_gradient(closure, theta, group["sigma"], group["pairs"], group["rank_normalize"],
                           self.generator)
        sign = 1.0 if group["maximize"] else -1.0
        i = 0
        for p in params:
            p.add_(grad[i:i + p.numel()].view_as(p), alpha=sign * group["lr"])
            i += p.numel()
        return closure(theta[None]).reshape(())
