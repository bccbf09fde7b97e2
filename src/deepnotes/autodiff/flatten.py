"""All parameters as one vector theta, and back.

Syllabus: autodiff.param_flatten. Notes: 000 L1.25.

    theta = concat(vec(W_1), b_1, vec(W_2), b_2, ...)       in the order of ``params``

``params_to_vector`` is that concatenation (row-major ``vec``, as torch's
``parameters_to_vector``); ``vector_to_params`` copies a vector back into the parameters in place;
``unflatten_vector`` splits a vector into tensors shaped like the parameters (views, so autograd
flows through them: this is how a loss becomes a function of theta for Hessians).
"""
from __future__ import annotations

from typing import Iterable

import torch

from ..core import expect, syllabus

__all__ = ["params_to_vector", "vector_to_params", "unflatten_vector"]


def _as_list(params: Iterable[torch.Tensor] | torch.Tensor) -> list[torch.Tensor]:
    params = [params] if isinstance(params, torch.Tensor) else list(params)
    for p in params:
        expect(isinstance(p, torch.Tensor), "params", "an iterable of Tensors", type(p).__name__, TypeError)
    return params


@syllabus("autodiff.param_flatten")
def params_to_vector(params: Iterable[torch.Tensor]) -> torch.Tensor:
    """theta (n,) = the parameters flattened row-major and concatenated."""
    return torch.cat([p.reshape(-1) for p in _as_list(params)])


@syllabus("autodiff.param_flatten")
def unflatten_vector(vec: torch.Tensor, like: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """Split ``vec`` (n,) into tensors shaped like ``like`` (views of ``vec``)."""
    like = _as_list(like)
    n = sum(p.numel() for p in like)
    expect(vec.dim() == 1 and vec.numel() == n, "vec", f"a 1-D tensor of {n} elements",
           tuple(vec.shape))
    out, i = [], 0
    for p in like:
        out.append(vec[i:i + p.numel()].view_as(p))
        i += p.numel()
    return out


@syllabus("autodiff.param_flatten")
@torch.no_grad()
def vector_to_params(vec: torch.Tensor, params: Iterable[torch.Tensor]) -> None:
    """Copy ``vec`` back into ``params`` in place (the inverse of ``params_to_vector``)."""
    params = _as_list(params)
    for p, chunk in zip(params, unflatten_vector(vec, params)):
        p.copy_(chunk)
