"""Gradient clipping by value and by global norm, written from the definition.

Syllabus: optimization.gradient_clipping. Notes: 000 L4.38; 001 S9.43, S17.14; 002 §4.5a, §4.5b;
003 L6.16.

    by value:        g_i <- clip(g_i, -c, c)                     every coordinate on its own
    by global norm:  ||g|| = (sum_p ||g_p||_q^q)^(1/q)            all parameters as one vector
                     g <- g * c / (||g|| + eps)   only when ||g|| > c   (eps = 1e-6)

Clipping by norm keeps the gradient's direction and only shortens it; clipping by value changes
the direction. 003 L6.16 writes the rescaling without the condition (g <- c g / ||g||, which
would also *lengthen* small gradients to norm c); the standard rule, used here and by torch,
leaves a gradient with ||g|| <= c unchanged.

Same signatures and results as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``
(tests/train/test_clipping.py). One deliberate difference: torch multiplies by
min(1, c / (||g|| + eps)), which shrinks gradients whose norm lies in (c - eps, c] by a factor
1 - O(eps / c); here those are left exactly as they are. The scale is computed as a tensor, so
clipping never forces a device synchronisation.
"""
from __future__ import annotations

from typing import Iterable

import torch

from ..core import expect, syllabus

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

_EPS = 1e-6


def _grads(parameters: torch.Tensor | Iterable[torch.Tensor]) -> list[torch.Tensor]:
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@syllabus("optimization.gradient_clipping")
def clip_grad_norm_(parameters: torch.Tensor | Iterable[torch.Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> torch.Tensor:
    """Rescale the gradients in place so their global ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm of the gradients before clipping (a 0-d tensor), like torch.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    expect(max_norm >= 0, "max_norm", "a non-negative number", max_norm)
    expect(norm_type > 0, "norm_type", "a positive number or inf", norm_type)
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    # The global norm is the norm of the per-parameter norms: ||(||g_1||, ..., ||g_P||)||_q.
    per_param = torch.stack([torch.linalg.vector_norm(g.detach(), norm_type) for g in grads])  # (P,)
    total = torch.linalg.vector_norm(per_param, norm_type)                                   # ()
    if error_if_nonfinite and not torch.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: expected a finite total gradient norm, got {total.item()} "
                           f"(norm_type={norm_type}); pass error_if_nonfinite=False to clip anyway")
    scale = torch.where(total > max_norm, max_norm / (total + _EPS), torch.ones_like(total))  # ()
    for g in grads:
        g.detach().mul_(scale.to(g.device, g.dtype))
    return total


@syllabus("optimization.gradient_clipping")
def clip_grad_value_(parameters: torch.Tensor | Iterable[torch.Tensor], clip_value: float) -> None:
    """Clamp every gradient coordinate into ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    expect(clip_value >= 0, "clip_value", "a non-negative number", clip_value)
    for g in _grads(parameters):
        g.detach().clamp_(min=-clip_value, max=clip_value)
