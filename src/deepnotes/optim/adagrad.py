"""AdaGrad: per-coordinate steps shrinking with the accumulated squared gradient.

Syllabus: optimization.adagrad. Notes: 000 L2.45; 001 S4.10; 002 §3.3c.

    g <- g + weight_decay theta                       (optional L2 term; g <- -g if maximize)
    s_t = s_{t-1} + g_t^2                              (s_0 = initial_accumulator_value = 0)
    lr_t = lr / (1 + (t - 1) lr_decay)
    theta_t = theta_{t-1} - lr_t g_t / (sqrt(s_t) + eps),   eps = 1e-10

The effective step lr / (sqrt(s_t) + eps) can only shrink, since s_t only grows.

How the notes differ: 000 L2.45 sums over i instead of k and writes g_i^t in every term (a typo);
000 and 002 have no eps. 000's variant divides by the root mean square sqrt(s_t / (t + 1)) instead
of the root of the sum; that is the same rule with the learning rate growing as sqrt(t + 1)
(not implemented separately: pass a schedule).

Equal to torch.optim.Adagrad step by step (tests/optim/test_adaptive.py).
"""
from __future__ import annotations

import torch

from ..core import syllabus
from ._checks import check_lr, check_nonneg, check_params, closure_loss, increment_steps, with_grads

__all__ = ["Adagrad"]


@syllabus("optimization.adagrad")
class Adagrad(torch.optim.Optimizer):
    """torch.optim.Adagrad's arguments, defaults and state names (``sum``, ``step``)."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False):
        params = check_params(params)
        check_lr(lr)
        check_nonneg("lr_decay", lr_decay)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("initial_accumulator_value", initial_accumulator_value)
        check_nonneg("eps", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:                  # torch creates the state eagerly
            for p in group["params"]:
                self.state[p]["step"] = torch.tensor(0.0)
                self.state[p]["sum"] = torch.full_like(p, group["initial_accumulator_value"],
                                                       memory_format=torch.preserve_format)

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads = with_grads(group)
            if not params:
                continue
            sums = [self.state[p]["sum"] for p in params]
            steps = [self.state[p]["step"] for p in params]
            increment_steps(steps)
            if group["maximize"]:
                grads = torch._foreach_neg(grads)
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            minus_lr_t = [-group["lr"] / (1 + (s.item() - 1) * group["lr_decay"]) for s in steps]
            torch._foreach_addcmul_(sums, grads, grads, value=1)          # s += g^2
            std = torch._foreach_sqrt(sums)
            torch._foreach_add_(std, group["eps"])                        # sqrt(s) + eps
            step = torch._foreach_mul(grads, minus_lr_t)                  # -lr_t g
            torch._foreach_addcdiv_(params, step, std)                    # theta += -lr_t g / std
        return loss
