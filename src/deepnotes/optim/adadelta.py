"""Adadelta: RMSProp whose step size is itself a running RMS of past updates (units match theta).

Syllabus: optimization.adadelta (named only in the notes). Notes: 001 S4.09.

    g <- g + weight_decay theta                       (optional; g <- -g if maximize)
    s_t = rho s_{t-1} + (1 - rho) g_t^2               running mean square of gradients
    delta_t = sqrt(u_{t-1} + eps) / sqrt(s_t + eps) * g_t
    u_t = rho u_{t-1} + (1 - rho) delta_t^2           running mean square of updates
    theta_t = theta_{t-1} - lr delta_t

Defaults rho = 0.9, eps = 1e-6, lr = 1 (Zeiler's rule has no learning rate; PyTorch keeps lr as a
multiplier). 001 only names the method.

Equal to torch.optim.Adadelta step by step (tests/optim/test_adaptive.py).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from ._checks import check_lr, check_nonneg, check_params, closure_loss, increment_steps, with_grads

__all__ = ["Adadelta"]


@syllabus("optimization.adadelta")
class Adadelta(torch.optim.Optimizer):
    """torch.optim.Adadelta's arguments, defaults and state names."""

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False):
        params = check_params(params)
        check_lr(lr)
        expect(0.0 <= rho <= 1.0, "rho", "a value in [0, 1]", rho)
        check_nonneg("eps", eps)
        check_nonneg("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads = with_grads(group)
            if not params:
                continue
            rho, eps = group["rho"], group["eps"]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            states = [self.state[p] for p in params]
            increment_steps([s["step"] for s in states])
            if group["maximize"]:
                grads = torch._foreach_neg(grads)
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            sq = [s["square_avg"] for s in states]
            acc = [s["acc_delta"] for s in states]
            torch._foreach_mul_(sq, rho)
            torch._foreach_addcmul_(sq, grads, grads, value=1 - rho)     # s = rho s + (1-rho) g^2
            std = torch._foreach_add(sq, eps)
            torch._foreach_sqrt_(std)                                    # sqrt(s + eps)
            delta = torch._foreach_add(acc, eps)
            torch._foreach_sqrt_(delta)                                  # sqrt(u + eps)
            torch._foreach_div_(delta, std)
            torch._foreach_mul_(delta, grads)                            # delta
            torch._foreach_mul_(acc, rho)
            torch._foreach_addcmul_(acc, delta, delta, value=1 - rho)    # u = rho u + (1-rho) delta^2
            torch._foreach_add_(params, delta, alpha=-group["lr"])       # theta -= lr delta
        return loss
