"""Threat models: perturbation norms and projections onto the eps-ball.

Syllabus: robustness.perturbation_norms. Notes: 000 L10.04-L10.05; 002 §9.3c.

The distance between a clean input x0 and a candidate x is the p-norm of the perturbation
d = x - x0, taken per example over all non-batch dimensions:

    L_inf: max_i |d_i|      L_2: sqrt(sum_i d_i^2)      L_0: #{i : d_i != 0}

The standard image budget is L_inf <= eps (eps = 8/255 on [0, 1] inputs). ``project_linf`` and
``project_l2`` return the closest point of the ball (and of the valid box when ``bounds`` given).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["perturbation_norm", "project_linf", "project_l2", "check_attack_inputs"]

_ORDS = ("inf", 2, 0)


@syllabus("robustness.perturbation_norms")
def perturbation_norm(delta: torch.Tensor, p: float | str = "inf") -> torch.Tensor:
    """Per-example norm of ``delta`` (B, ...): p in {'inf', 2, 0}; returns (B,)."""
    expect(p in _ORDS or p == float("inf"), "p", "one of 'inf', 2, 0", p)
    expect(delta.dim() >= 1, "delta", "a batched tensor (B, ...)", tuple(delta.shape))
    flat = delta.reshape(delta.shape[0], -1)  # (B, D)
    if p in ("inf", float("inf")):
        return flat.abs().amax(dim=1)
    if p == 2:
        return flat.pow(2).sum(dim=1).sqrt()
    return (flat != 0).sum(dim=1).to(delta.dtype)


def project_linf(x: torch.Tensor, x0: torch.Tensor, eps: float,
                 bounds: tuple[float, float] | None = (0.0, 1.0)) -> torch.Tensor:
    """Closest point to ``x`` in {|x - x0|_inf <= eps} (intersected with the box ``bounds``)."""
    expect(eps >= 0, "eps", "a non-negative float", eps)
    out = torch.max(torch.min(x, x0 + eps), x0 - eps)
    return out.clamp(*bounds) if bounds is not None else out


def project_l2(x: torch.Tensor, x0: torch.Tensor, eps: float) -> torch.Tensor:
    """Closest point to ``x`` in the L2 ball {|x - x0|_2 <= eps}: rescale d if it is too long."""
    expect(eps >= 0, "eps", "a non-negative float", eps)
    d = x - x0                                                     # (B, ...)
    norm = perturbation_norm(d, 2).view(-1, *([1] * (d.dim() - 1)))  # (B, 1, ...)
    scale = torch.clamp(eps / norm.clamp_min(1e-12), max=1.0)
    return x0 + d * scale


def check_attack_inputs(inputs: torch.Tensor, target: torch.Tensor, eps: float,
                        bounds: tuple[float, float] | None) -> None:
    """Shared validation: eps >= 0, inputs inside ``bounds``, one integer label per example."""
    expect(float(eps) >= 0, "eps", "a non-negative float", eps)
    expect(inputs.dim() >= 2, "inputs", "a batch (B, ...)", tuple(inputs.shape))
    expect(target.dim() == 1 and target.shape[0] == inputs.shape[0], "target",
           f"labels of shape ({inputs.shape[0]},)", tuple(target.shape))
    if bounds is not None:
        lo, hi = bounds
        expect(bool(((inputs >= lo) & (inputs <= hi)).all()), "inputs", f"values in [{lo}, {hi}]",
               (float(inputs.min()), float(inputs.max())))
