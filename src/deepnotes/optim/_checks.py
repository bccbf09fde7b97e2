"""Argument checks and gradient gathering shared by deepnotes' optimizers (private)."""
from __future__ import annotations

from typing import Any, Iterable

import torch

from ..core import expect


def check_params(params: Any) -> list:
    """``params`` must be an iterable of tensors or of param-group dicts (as torch requires)."""
    expect(not isinstance(params, (torch.Tensor, dict, str)), "params",
           "an iterable of Tensors or of dicts (param groups)", type(params).__name__, TypeError)
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"params: expected an iterable of Tensors or of dicts (param groups), "
                        f"got {type(params).__name__}") from None
    expect(len(params) > 0, "params", "a non-empty iterable of parameters", params)
    for p in params:
        if isinstance(p, dict):
            expect("params" in p, "params", "param-group dicts with a 'params' key", sorted(p))
            inner = p["params"]
            inner = [inner] if isinstance(inner, torch.Tensor) else list(inner)
            for q in inner:
                expect(isinstance(q, torch.Tensor), "params", "Tensors inside each param group",
                       type(q).__name__, TypeError)
        elif isinstance(p, tuple):                    # named parameters: (name, tensor)
            expect(len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], torch.Tensor), "params",
                   "(name, Tensor) pairs", p, TypeError)
        else:
            expect(isinstance(p, torch.Tensor), "params", "an iterable of Tensors or of dicts",
                   f"an element of type {type(p).__name__}", TypeError)
    return params


def check_lr(lr: Any) -> None:
    expect(isinstance(lr, (int, float, torch.Tensor)) and not isinstance(lr, bool), "lr",
           "a float", type(lr).__name__, TypeError)
    expect(float(lr) >= 0.0, "lr", "a non-negative learning rate", lr)


def check_nonneg(name: str, value: float) -> None:
    expect(float(value) >= 0.0, name, "a non-negative value", value)


def check_unit(name: str, value: float) -> None:
    """A decay rate in [0, 1)."""
    expect(0.0 <= float(value) < 1.0, name, "a value in [0, 1)", value)


def check_betas(betas: Iterable[float]) -> tuple[float, float]:
    betas = tuple(betas)
    expect(len(betas) == 2, "betas", "a pair (beta1, beta2)", betas)
    for i, b in enumerate(betas):
        expect(0.0 <= float(b) < 1.0, f"betas[{i}]", "a value in [0, 1)", b)
    return betas


def with_grads(group: dict) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The group's parameters that received a gradient, and those gradients.

    Frozen parameters (``requires_grad=False``) and parameters that took no part in the loss
    have ``grad is None`` and are skipped, as torch does.
    """
    params = [p for p in group["params"] if p.grad is not None]
    for p in params:
        expect(not p.grad.is_sparse, "params", "dense gradients", "a sparse gradient", RuntimeError)
    return params, [p.grad for p in params]


def closure_loss(closure: Any) -> Any:
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


# One CPU scalar reused by every `_foreach_add_(steps, ONE, alpha=1.0)`: as in torch, wrapping the
# constant once keeps the CPU step counters on the fast foreach path.
def increment_steps(steps: list[torch.Tensor]) -> None:
    if steps and steps[0].is_cpu:
        torch._foreach_add_(steps, torch.tensor(1.0), alpha=1.0)
    else:
        torch._foreach_add_(steps, 1)
