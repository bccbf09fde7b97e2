"""Adam: momentum on the gradient, RMS scaling per coordinate, both bias-corrected.

Syllabus: optimization.adam. Notes: 000 L2.47, L2.52; 001 S4.08, S4.20; 002 §3.3d; 003 L0.19.

    g <- g + weight_decay theta      (L2 form; or theta <- theta (1 - lr wd) if decoupled, AdamW)
    m_t = b1 m_{t-1} + (1 - b1) g_t                 first moment
    v_t = b2 v_{t-1} + (1 - b2) g_t^2               second moment
    m^ = m_t / (1 - b1^t),  v^ = v_t / (1 - b2^t)   bias correction (m_0 = v_0 = 0)
    v^ <- max(v^_{t-1}, v^)                         (amsgrad only, on v before correction)
    theta_t = theta_{t-1} - lr m^ / (sqrt(v^) + eps)

Defaults lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8. At t = 1, m^ = g and sqrt(v^) = |g|, so
the first step is lr * sign(g) in every coordinate (up to eps).

The notes agree with the standard form (000 gives it in a figure).
Equal to torch.optim.Adam step by step, with weight decay, amsgrad, maximize and decoupled
weight decay (tests/optim/test_adam.py).
"""
from __future__ import annotations

import math

import torch

from ..core import syllabus
from ._checks import (check_betas, check_lr, check_nonneg, check_params, closure_loss, increment_steps,
                      with_grads)

__all__ = ["Adam"]


@syllabus("optimization.adam")
class Adam(torch.optim.Optimizer):
    """torch.optim.Adam's arguments, defaults and state names (``step``, ``exp_avg``, ...)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False):
        params = check_params(params)
        check_lr(lr)
        betas = check_betas(betas)
        check_nonneg("eps", eps)
        check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _state(self, p: torch.Tensor, amsgrad: bool) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if amsgrad:
                state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads = with_grads(group)
            if not params:
                continue
            (b1, b2), lr, wd, eps = group["betas"], group["lr"], group["weight_decay"], group["eps"]
            states = [self._state(p, group["amsgrad"]) for p in params]
            steps = [s["step"] for s in states]
            m = [s["exp_avg"] for s in states]
            v = [s["exp_avg_sq"] for s in states]
            increment_steps(steps)
            if group["maximize"]:
                grads = torch._foreach_neg(grads)
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    torch._foreach_mul_(params, 1 - lr * wd)             # theta <- theta (1 - lr wd)
                else:
                    grads = torch._foreach_add(grads, params, alpha=wd)  # g <- g + wd theta
            torch._foreach_lerp_(m, grads, 1 - b1)                       # m = b1 m + (1-b1) g
            torch._foreach_mul_(v, b2)
            torch._foreach_addcmul_(v, grads, grads, 1 - b2)             # v = b2 v + (1-b2) g^2
            t = [s.item() for s in steps]
            minus_step = [-lr / (1 - b1 ** ti) for ti in t]              # -lr / (1 - b1^t)
            bc2_sqrt = [math.sqrt(1 - b2 ** ti) for ti in t]             # sqrt(1 - b2^t)
            if group["amsgrad"]:
                vmax = [s["max_exp_avg_sq"] for s in states]
                torch._foreach_maximum_(vmax, v)
                denom = torch._foreach_sqrt(vmax)
            else:
                denom = torch._foreach_sqrt(v)
            torch._foreach_div_(denom, bc2_sqrt)
            torch._foreach_add_(denom, eps)                              # sqrt(v^) + eps
            torch._foreach_addcdiv_(params, m, denom, minus_step)        # theta -= lr m^ / denom
        return loss
