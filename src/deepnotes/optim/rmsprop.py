"""RMSProp: divide the step by a running root mean square of recent gradients.

Syllabus: optimization.rmsprop. Notes: 000 L2.46; 001 S4.11; 002 §3.3b.

    g <- g + weight_decay theta                        (optional; g <- -g if maximize)
    s_t = alpha s_{t-1} + (1 - alpha) g_t^2            s_0 = 0, 0 <= alpha < 1
    c_t = alpha c_{t-1} + (1 - alpha) g_t              (centered only: s_t - c_t^2 estimates Var g)
    r_t = sqrt(s_t) + eps          or  sqrt(s_t - c_t^2) + eps if centered
    theta_t = theta_{t-1} - lr g_t / r_t               (momentum 0)
    b_t = momentum b_{t-1} + g_t / r_t,  theta_t = theta_{t-1} - lr b_t   (momentum > 0)

Defaults alpha = 0.99, eps = 1e-8 (PyTorch's). Unlike AdaGrad's ever-growing sum, s_t forgets
with time constant 1 / (1 - alpha) steps, so the step adapts when the gradient scale changes.

How the notes differ: 000 starts from sigma^0 = |g^0| (not 0); 000 and 002 give no eps and no
default alpha.

Equal to torch.optim.RMSprop step by step (tests/optim/test_adaptive.py).
"""
from __future__ import annotations

import torch

from ..core import syllabus
from ._checks import (check_lr, check_nonneg, check_params, check_unit, closure_loss, increment_steps,
                      with_grads)

__all__ = ["RMSprop"]


@syllabus("optimization.rmsprop")
class RMSprop(torch.optim.Optimizer):
    """torch.optim.RMSprop's arguments, defaults and state names."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        params = check_params(params)
        check_lr(lr)
        check_unit("alpha", alpha)
        check_nonneg("eps", eps)
        check_nonneg("weight_decay", weight_decay)
        check_nonneg("momentum", momentum)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _state(self, p: torch.Tensor, group: dict) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = torch.tensor(0.0)
            state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if group["momentum"] > 0:
                state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads = with_grads(group)
            if not params:
                continue
            states = [self._state(p, group) for p in params]
            alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
            increment_steps([s["step"] for s in states])
            if group["maximize"]:
                grads = torch._foreach_neg(grads)
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            sq = [s["square_avg"] for s in states]
            torch._foreach_mul_(sq, alpha)
            torch._foreach_addcmul_(sq, grads, grads, value=1 - alpha)       # s = a s + (1-a) g^2
            if group["centered"]:
                avg_g = [s["grad_avg"] for s in states]
                torch._foreach_lerp_(avg_g, grads, 1 - alpha)               # c = a c + (1-a) g
                rms = torch._foreach_addcmul(sq, avg_g, avg_g, value=-1)    # s - c^2
                torch._foreach_sqrt_(rms)
            else:
                rms = torch._foreach_sqrt(sq)
            torch._foreach_add_(rms, eps)                                   # r = sqrt(.) + eps
            if group["momentum"] > 0:
                bufs = [s["momentum_buffer"] for s in states]
                torch._foreach_mul_(bufs, group["momentum"])
                torch._foreach_addcdiv_(bufs, grads, rms)                   # b = m b + g / r
                torch._foreach_add_(params, bufs, alpha=-lr)
            else:
                torch._foreach_addcdiv_(params, grads, rms, value=-lr)      # theta -= lr g / r
        return loss
