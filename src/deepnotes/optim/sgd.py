"""Gradient descent with heavy-ball or Nesterov momentum, weight decay, and ascent.

Syllabus: optimization.gradient_descent, optimization.momentum, optimization.nesterov.
Notes: 000 L1.12-13, L1.27, L2.38-39, L2.44, X.02; 001 S4.01, S4.06, S4.12, S5.08-09, S11.04;
002 §3.1a, §3.3a; 003 L0.18.

Per coordinate, with g the gradient of the loss at the current theta (all coordinates read the
old theta, so the update is simultaneous):

    g <- -g                          if maximize (gradient ascent)
    g <- g + weight_decay * theta    L2 penalty folded into the gradient
    v <- g                           first step (the buffer starts as the gradient itself)
    v <- mu v + (1 - dampening) g    later steps (heavy ball, PyTorch's form)
    d <- g + mu v  if nesterov  else  v     (d <- g when mu = 0: plain gradient descent)
    theta <- theta - lr d

PyTorch's buffer form equals the course form m <- mu m - lr g, theta <- theta + m (for a fixed
lr, m = -lr v). Nesterov's look-ahead gradient v <- mu v - lr grad L(theta + mu v) becomes, after
the change of variable theta' = theta + mu v (Sutskever et al.), the rule d = g + mu v above.

How the notes differ: 002 writes g_k = grad L + mu g_{k-1}, 000 gives the rule only in a figure,
no note gives a default mu (0.9 is customary). 001 S11.04's "convex -> GD, concave -> ascent" means
minimise a convex function, maximise a concave one.

Equal to torch.optim.SGD step by step, with every option (tests/optim/test_sgd.py).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from ._checks import check_lr, check_nonneg, check_params, closure_loss, with_grads

__all__ = ["SGD"]


@syllabus("optimization.gradient_descent", "optimization.momentum", "optimization.nesterov")
class SGD(torch.optim.Optimizer):
    """torch.optim.SGD's arguments and defaults (lr=1e-3), written from the update rule."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        params = check_params(params)
        check_lr(lr)
        check_nonneg("momentum", momentum)
        check_nonneg("weight_decay", weight_decay)
        expect(not nesterov or (momentum > 0 and dampening == 0), "nesterov",
               "momentum > 0 and dampening = 0 when nesterov=True",
               f"momentum={momentum}, dampening={dampening}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads = with_grads(group)
            if not params:
                continue
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            if group["maximize"]:
                grads = torch._foreach_neg(grads)                       # g <- -g
            if wd != 0:
                grads = torch._foreach_add(grads, params, alpha=wd)     # g <- g + wd theta
            if mu != 0:
                bufs = [self.state[p].get("momentum_buffer") for p in params]
                if any(b is None for b in bufs):                        # first step: v <- g
                    for i, p in enumerate(params):
                        if bufs[i] is None:
                            bufs[i] = self.state[p]["momentum_buffer"] = grads[i].detach().clone()
                        else:
                            bufs[i].mul_(mu).add_(grads[i], alpha=1 - group["dampening"])
                else:                                                   # v <- mu v + (1-damp) g
                    torch._foreach_mul_(bufs, mu)
                    torch._foreach_add_(bufs, grads, alpha=1 - group["dampening"])
                if group["nesterov"]:
                    grads = torch._foreach_add(grads, bufs, alpha=mu)   # d <- g + mu v
                else:
                    grads = bufs                                        # d <- v
            torch._foreach_add_(params, grads, alpha=-lr)               # theta <- theta - lr d
        return loss
