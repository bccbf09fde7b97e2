"""RAdam: Adam whose adaptive step is switched on gradually, by rectifying the variance of v^.

Syllabus: optimization.radam (named only). Notes: 000 L2.50-51 (as the motivation of warm-up).

Early on, v^ averages few squared gradients and its inverse square root has a large variance.
With rho_inf = 2 / (1 - b2) - 1 and, at step t,

    rho_t = rho_inf - 2 t b2^t / (1 - b2^t)      (length of the approximated moving average)
    m_t, v_t as in Adam;  m^ = m_t / (1 - b1^t)
    if rho_t > 5:
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        theta_t = theta_{t-1} - lr r_t m^ sqrt(1 - b2^t) / (sqrt(v_t) + eps)
    else:
        theta_t = theta_{t-1} - lr m^                  (un-adapted momentum step)

Weight decay as in Adam (L2, or decoupled).
Equal to torch.optim.RAdam step by step (tests/optim/test_adam.py).
"""
from __future__ import annotations

import math

import torch

from ..core import syllabus
from ._checks import (check_betas, check_lr, check_nonneg, check_params, closure_loss, increment_steps,
                      with_grads)

__all__ = ["RAdam"]


@syllabus("optimization.radam")
class RAdam(torch.optim.Optimizer):
    """torch.optim.RAdam's arguments, defaults and state names."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False):
        params = check_params(params)
        check_lr(lr)
        betas = check_betas(betas)
        check_nonneg("eps", eps)
        check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @staticmethod
    def rectification(t: float, b2: float) -> float:
        """r_t, or 0 while rho_t <= 5 (the step is then un-adapted)."""
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t <= 5:
            return 0.0
        return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads = with_grads(group)
            if not params:
                continue
            (b1, b2), lr, wd, eps = group["betas"], group["lr"], group["weight_decay"], group["eps"]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            states = [self.state[p] for p in params]
            steps = [s["step"] for s in states]
            m = [s["exp_avg"] for s in states]
            v = [s["exp_avg_sq"] for s in states]
            increment_steps(steps)
            if group["maximize"]:
                grads = torch._foreach_neg(grads)
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    torch._foreach_mul_(params, 1 - lr * wd)
                else:
                    grads = torch._foreach_add(grads, params, alpha=wd)
            torch._foreach_lerp_(m, grads, 1 - b1)                       # m = b1 m + (1-b1) g
            torch._foreach_mul_(v, b2)
            torch._foreach_addcmul_(v, grads, grads, 1 - b2)             # v = b2 v + (1-b2) g^2
            t = [s.item() for s in steps]
            rect = [self.rectification(ti, b2) for ti in t]
            # theta -= m * (adaptive coefficient + plain coefficient); exactly one of them is non-zero
            plain = [0.0 if r > 0 else -lr / (1 - b1 ** ti) for r, ti in zip(rect, t)]
            adapt = [-lr * r * math.sqrt(1 - b2 ** ti) / (1 - b1 ** ti) for r, ti in zip(rect, t)]
            coef = torch._foreach_sqrt(v)
            torch._foreach_add_(coef, eps)                               # sqrt(v) + eps
            torch._foreach_div_(coef, adapt)
            torch._foreach_reciprocal_(coef)                             # adapt / (sqrt(v) + eps)
            torch._foreach_add_(coef, plain)
            torch._foreach_addcmul_(params, m, coef)
        return loss
