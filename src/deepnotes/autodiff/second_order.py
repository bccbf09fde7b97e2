"""Double backward: Hessians, Hessian-vector products and the symmetric eigendecomposition.

Syllabus: autodiff.higher_order_gradients. Notes: 000 L2.25-26, X.07; 003 L0.20, L13.10.

The backward pass is itself a differentiable computation (``create_graph=True``), so

    g(theta) = dL/dtheta                      one backward, graph kept
    H v      = d(g . v)/dtheta                a second backward (Pearlmutter's trick): O(n)
    H[i, :]  = d g_i / dtheta                 n second backwards: the full Hessian, O(n^2) memory

``hessian`` stacks the rows (then symmetrises away round-off), ``hvp`` needs no H at all, and
``model_hessian`` / ``model_hvp`` view a model's loss as a function of its flattened parameters
theta (``deepnotes.autodiff.params_to_vector``). ``symmetric_eig`` returns ascending eigenvalues
and orthonormal eigenvectors.

Equal to torch.func.hessian / torch.autograd.functional.hessian and to finite differences
(tests/autodiff/test_hessian.py).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.func import functional_call

from ..core import expect, syllabus
from .flatten import params_to_vector, unflatten_vector

__all__ = ["hessian", "hvp", "symmetric_eig", "model_loss_of_theta", "model_hessian", "model_hvp"]


def _scalar(fn: Callable, x: torch.Tensor) -> torch.Tensor:
    out = fn(x)
    expect(isinstance(out, torch.Tensor) and out.numel() == 1, "fn", "a function returning a scalar",
           getattr(out, "shape", type(out).__name__))
    return out.reshape(())


@syllabus("autodiff.higher_order_gradients")
def hvp(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H(x) v for a scalar ``fn`` of a vector ``x`` (n,), by double backward."""
    expect(x.dim() == 1, "x", "a 1-D tensor", tuple(x.shape))
    expect(v.shape == x.shape, "v", f"a tensor shaped like x {tuple(x.shape)}", tuple(v.shape))
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(_scalar(fn, x), x, create_graph=True)     # (n,)
        (hv,) = torch.autograd.grad(g @ v, x)                                # (n,)
    return hv


@syllabus("autodiff.higher_order_gradients")
def hessian(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The (n, n) Hessian of a scalar ``fn`` at ``x`` (n,), one double-backward row at a time."""
    expect(x.dim() == 1, "x", "a 1-D tensor", tuple(x.shape))
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(_scalar(fn, x), x, create_graph=True)     # (n,)
        rows = []
        for i in range(x.numel()):
            if g[i].requires_grad:
                (row,) = torch.autograd.grad(g[i], x, retain_graph=True, allow_unused=True)
            else:                                                           # g_i constant in x
                row = None
            rows.append(torch.zeros_like(x) if row is None else row)
    H = torch.stack(rows)                                                   # (n, n)
    return (H + H.T) / 2


@syllabus("autodiff.higher_order_gradients")
def symmetric_eig(H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix."""
    expect(H.dim() == 2 and H.shape[0] == H.shape[1], "H", "a square matrix", tuple(H.shape))
    return torch.linalg.eigh((H + H.T) / 2)


def model_loss_of_theta(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module], torch.Tensor]
                        ) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """``(f, theta0)`` with f(theta) = loss_fn(model with parameters theta), theta0 the current ones.

    ``loss_fn(m)`` receives a module whose forward uses the given parameters.
    """
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    params = [p for p in model.parameters() if p.requires_grad]
    theta0 = params_to_vector(params).detach()

    class _Bound(torch.nn.Module):
        def __init__(self, theta):
            super().__init__()
            self.theta = theta

        def forward(self, *args, **kwargs):
            tensors = dict(zip(names, unflatten_vector(self.theta, params)))
            return functional_call(model, tensors, args, kwargs)

    return (lambda theta: loss_fn(_Bound(theta))), theta0


def model_hessian(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module], torch.Tensor]) -> torch.Tensor:
    """The Hessian of ``loss_fn(model)`` with respect to the model's flattened trainable parameters."""
    f, theta = model_loss_of_theta(model, loss_fn)
    return hessian(f, theta)


def model_hvp(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module], torch.Tensor],
              v: torch.Tensor) -> torch.Tensor:
    """H v for the model's flattened trainable parameters."""
    f, theta = model_loss_of_theta(model, loss_fn)
    return hvp(f, theta, v)
