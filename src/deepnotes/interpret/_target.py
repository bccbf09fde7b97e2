"""Shared by the attribution methods: pick the scalar output each example is explained for."""
from __future__ import annotations

from typing import Any

import torch

from ..core import expect


def select_target(output: torch.Tensor, target: Any) -> torch.Tensor:
    """(B,) scores: output (B,) or (B, K) indexed by ``target`` (int, (B,) tensor or None)."""
    if output.dim() == 1:
        expect(target is None or target == 0, "target", "None for a model with a scalar output", target)
        return output
    out = output.reshape(output.size(0), -1)                                   # (B, K)
    if target is None:
        expect(out.size(1) == 1, "target", f"a class index (the model has {out.size(1)} outputs)", target)
        return out[:, 0]
    if isinstance(target, int):
        expect(0 <= target < out.size(1), "target", f"an index in [0, {out.size(1)})", target)
        return out[:, target]
    t = torch.as_tensor(target, device=out.device).reshape(-1)
    expect(t.numel() == out.size(0), "target", f"one index per example ({out.size(0)})", tuple(t.shape))
    expect(bool(((t >= 0) & (t < out.size(1))).all()), "target", f"indices in [0, {out.size(1)})", t.tolist())
    return out.gather(1, t[:, None].long())[:, 0]


def input_gradient(model: torch.nn.Module, inputs: torch.Tensor, target: Any) -> torch.Tensor:
    """d score / d inputs for each example (the sum over the batch separates per example)."""
    x = inputs.detach().requires_grad_(True)
    with torch.enable_grad():
        score = select_target(model(x), target)                                # (B,)
        (grad,) = torch.autograd.grad(score.sum(), x)
    return grad
