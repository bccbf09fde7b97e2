"""Numerical gradient checking: compare backprop's Jacobian with finite differences.

Syllabus: autodiff.gradient_check. Notes: 001 S6.07; 002 §9.3j.

For each input entry x_i and unit vector e_i, in float64:

    central:  J[:, i] ~ (f(x + h e_i) - f(x - h e_i)) / (2h)     h = 1e-6, error O(h^2)
    forward:  J[:, i] ~ (f(x + h e_i) - f(x)) / h                  h = 1e-3 (002's choice), error O(h)

The analytic Jacobian comes from backprop, one vector-Jacobian product per output entry with a
one-hot seed. The report gives the maximum relative error over all entries,

    rel_ij = |J_ij - N_ij| / max(|J_ij|, |N_ij|, floor)

where ``floor`` (default 1e-3) keeps entries whose true value is ~0 from dividing round-off by
round-off (they are then judged by absolute error). ``gradcheck_module`` checks a layer or loss
with respect to its inputs and all its trainable parameters at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from ..core import expect, syllabus

__all__ = ["GradcheckReport", "numerical_jacobian", "analytic_jacobian", "gradcheck", "gradcheck_module"]


@dataclass
class GradcheckReport:
    """max_rel_error over all checked entries; ``passed`` is max_rel_error < tol."""

    max_rel_error: float
    tol: float
    per_input: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.max_rel_error < self.tol

    def __bool__(self) -> bool:
        return self.passed


def _outputs(fn: Callable, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return torch.cat([o.reshape(-1) for o in outs if isinstance(o, torch.Tensor)])


@torch.no_grad()
def numerical_jacobian(fn: Callable, inputs: Sequence[torch.Tensor], eps: float = 1e-6,
                       method: str = "central") -> list[torch.Tensor]:
    """One (n_out, n_in_k) Jacobian per input, by finite differences (inputs perturbed in place)."""
    expect(method in ("central", "forward"), "method", "'central' or 'forward'", method)
    base = _outputs(fn, inputs) if method == "forward" else None
    jacs = []
    for x in inputs:
        flat = x.view(-1)                                                # shares x's storage
        cols = []
        for i in range(flat.numel()):
            old = flat[i].item()
            flat[i] = old + eps
            plus = _outputs(fn, inputs)
            if method == "central":
                flat[i] = old - eps
                cols.append((plus - _outputs(fn, inputs)) / (2 * eps))
            else:
                cols.append((plus - base) / eps)
            flat[i] = old
        jacs.append(torch.stack(cols, dim=1))                            # (n_out, n_in)
    return jacs


def analytic_jacobian(fn: Callable, inputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """One (n_out, n_in_k) Jacobian per input, by backprop with one-hot seeds (row by row)."""
    with torch.enable_grad():
        out = _outputs(fn, inputs)                                       # (n_out,)
        rows = [[] for _ in inputs]
        for j in range(out.numel()):
            seed = torch.zeros_like(out)
            seed[j] = 1.0
            grads = torch.autograd.grad(out, list(inputs), seed, retain_graph=True, allow_unused=True)
            for k, (g, x) in enumerate(zip(grads, inputs)):
                rows[k].append(torch.zeros_like(x).reshape(-1) if g is None else g.reshape(-1))
    return [torch.stack(r) for r in rows]                                # (n_out, n_in) each


@syllabus("autodiff.gradient_check")
def gradcheck(fn: Callable, *inputs: torch.Tensor, eps: float | None = None, method: str = "central",
              tol: float = 1e-6, floor: float = 1e-3) -> GradcheckReport:
    """Check backprop through ``fn(*inputs)`` against finite differences on float64 ``inputs``.

    ``eps`` defaults to 1e-6 (central) or 1e-3 (forward). Returns a :class:`GradcheckReport`.
    """
    expect(len(inputs) > 0, "inputs", "at least one tensor", inputs)
    for i, x in enumerate(inputs):
        expect(isinstance(x, torch.Tensor) and x.dtype == torch.float64, f"inputs[{i}]",
               "a float64 tensor (finite differences need double precision)",
               getattr(x, "dtype", type(x).__name__), TypeError)
        expect(x.requires_grad, f"inputs[{i}]", "a tensor with requires_grad=True", "requires_grad=False")
    eps = eps if eps is not None else (1e-6 if method == "central" else 1e-3)
    numeric = numerical_jacobian(fn, inputs, eps, method)
    analytic = analytic_jacobian(fn, inputs)
    per_input = []
    for a, n in zip(analytic, numeric):
        scale = torch.maximum(torch.maximum(a.abs(), n.abs()), torch.tensor(floor, dtype=a.dtype))
        per_input.append(((a - n).abs() / scale).max().item() if a.numel() else 0.0)
    return GradcheckReport(max(per_input), tol, per_input)


def gradcheck_module(module: torch.nn.Module, *inputs: torch.Tensor, **kw) -> GradcheckReport:
    """gradcheck of a float64 layer or loss w.r.t. its float inputs and its trainable parameters."""
    params = [p for p in module.parameters() if p.requires_grad]
    float_inputs = [x for x in inputs if x.is_floating_point() and x.requires_grad]
    n_in = len(float_inputs)

    def fn(*tensors):
        it = iter(tensors[:n_in])
        args = [next(it) if (x.is_floating_point() and x.requires_grad) else x for x in inputs]
        return module(*args)

    return gradcheck(fn, *float_inputs, *params, **kw)
