"""Model-agnostic meta-learning (MAML), first-order MAML and Reptile.

Syllabus: adaptation_ssl_meta.maml, adaptation_ssl_meta.first_order_maml. Notes: 003 L13.07-L13.13.

Inner loop (per task j, k steps of gradient descent from the shared initialisation phi):
    phi_j^{(0)} = phi,   phi_j^{(s+1)} = phi_j^{(s)} - alpha grad L(f_{phi_j^{(s)}}, T_j^train)
Meta-objective and outer step:
    M(phi) = sum_j L(f_{phi_j}, T_j^val),   phi <- phi - beta grad_phi M   (Adam in practice)
MAML differentiates through the inner updates (create_graph=True: second-order terms,
the Hessian-vector products (I - alpha H) ...). First-order MAML treats phi_j's dependence on phi
as the identity, so its meta-gradient is sum_j grad L(f, T_j^val) evaluated at phi_j.
Reptile skips the validation gradient: phi <- phi + eps (phi_j - phi).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call

from ..core import expect, syllabus

__all__ = ["maml_adapt", "maml_meta_loss", "reptile_step"]

Params = dict[str, torch.Tensor]


@syllabus("adaptation_ssl_meta.maml", "adaptation_ssl_meta.first_order_maml")
def maml_adapt(model: nn.Module, params: Params, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor,
               inner_lr: float = 0.01, steps: int = 1, first_order: bool = False) -> Params:
    """phi_j after ``steps`` inner SGD steps on (x, y), as a differentiable function of ``params``.

    first_order=True detaches the inner gradients, so d phi_j / d phi = I (FOMAML).
    """
    expect(inner_lr >= 0, "inner_lr", "a non-negative float", inner_lr)
    expect(isinstance(steps, int) and steps >= 0, "steps", "an int >= 0", steps)
    names = list(params)
    for _ in range(steps):
        loss = loss_fn(functional_call(model, params, (x,)), y)
        grads = torch.autograd.grad(loss, [params[n] for n in names], create_graph=not first_order)
        params = {n: params[n] - inner_lr * (g.detach() if first_order else g) for n, g in zip(names, grads)}
    return params


@syllabus("adaptation_ssl_meta.maml", "adaptation_ssl_meta.first_order_maml")
def maml_meta_loss(model: nn.Module, tasks, loss_fn: Callable, inner_lr: float = 0.01, steps: int = 1,
                   first_order: bool = False, params: Params | None = None) -> torch.Tensor:
    """M(phi) = mean_j L(f_{phi_j}, T_j^val) over tasks [(x_tr, y_tr, x_val, y_val), ...].

    Backpropagating it gives the MAML meta-gradient (or FOMAML's with first_order=True).
    """
    params = dict(model.named_parameters()) if params is None else params
    losses = []
    for x_tr, y_tr, x_val, y_val in tasks:
        phi_j = maml_adapt(model, params, loss_fn, x_tr, y_tr, inner_lr, steps, first_order)
        losses.append(loss_fn(functional_call(model, phi_j, (x_val,)), y_val))
    expect(len(losses) > 0, "tasks", "at least one task", 0)
    return torch.stack(losses).mean()


@syllabus("adaptation_ssl_meta.first_order_maml")
@torch.no_grad()
def reptile_step(model: nn.Module, adapted: Params, epsilon: float = 0.1) -> None:
    """Reptile outer update in place: phi <- phi + epsilon (phi_j - phi)."""
    for n, p in model.named_parameters():
        p.add_(epsilon * (adapted[n].detach() - p))
