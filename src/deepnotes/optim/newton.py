"""Newton's method: step to the minimum of the local quadratic model.

Syllabus: optimization.newton_method. Notes: 002 §3.2a-b; 001 S9.28.

Around theta, L(theta + d) ~ L + g^T d + d^T H d / 2, minimised by H d = g, so

    theta <- theta - lr (H + damping I)^{-1} g        (solve the system, never invert H)

lr = 1, damping = 0 is pure Newton: on a positive-definite quadratic one step lands on the
minimiser. The price is the Hessian: n second backward passes and an O(n^3) solve per step,
against O(n) for a gradient step, so it is for small models (logistic regression, a few
hundred parameters). ``step`` needs a ``closure`` returning the loss (it differentiates twice);
all parameters of all groups form one theta.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from ._checks import check_lr, check_nonneg, check_params

__all__ = ["Newton"]


@syllabus("optimization.newton_method")
class Newton(torch.optim.Optimizer):
    """``Newton(params, lr=1.0, damping=0.0)``; ``step(closure)`` with closure() -> loss."""

    def __init__(self, params, lr: float = 1.0, damping: float = 0.0):
        params = check_params(params)
        check_lr(lr)
        check_nonneg("damping", damping)
        super().__init__(params, dict(lr=lr, damping=damping))

    def step(self, closure=None):
        expect(callable(closure), "closure", "a callable returning the loss (Newton differentiates it twice)",
               closure, TypeError)
        params = [p for g in self.param_groups for p in g["params"] if p.requires_grad]
        lr, damping = self.param_groups[0]["lr"], self.param_groups[0]["damping"]
        with torch.enable_grad():
            loss = closure()
            grads = torch.autograd.grad(loss, params, create_graph=True)
            g = torch.cat([gr.reshape(-1) for gr in grads])                    # (n,)
            rows = []
            for i in range(g.numel()):                                         # H[i, :] = d g_i / d theta
                row = torch.autograd.grad(g[i], params, retain_graph=True, allow_unused=True)
                rows.append(torch.cat([torch.zeros_like(p).reshape(-1) if r is None else r.reshape(-1)
                                       for r, p in zip(row, params)]))
        H = torch.stack(rows).detach()                                         # (n, n)
        H = (H + H.T) / 2 + damping * torch.eye(len(g), dtype=H.dtype, device=H.device)
        d = torch.linalg.solve(H, g.detach())                                  # H d = g
        with torch.no_grad():
            i = 0
            for p in params:
                p -= lr * d[i:i + p.numel()].view_as(p)
                i += p.numel()
        return loss.detach()
