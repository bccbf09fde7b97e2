"""Universal adversarial perturbation: one delta for a whole dataset.

Syllabus: robustness.universal_perturbation. Notes: 000 L10.14.

    delta* = argmax_{|delta|_inf <= eps} mean_i CE(f(clip(x_i + delta)), y_i)

optimised by projected signed-gradient ascent on the average loss over minibatches (the SGD
variant of the per-example iterative algorithm). ``fooling_rate`` is the fraction of inputs whose
prediction changes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["universal_perturbation", "fooling_rate"]


@syllabus("robustness.universal_perturbation")
def universal_perturbation(model: nn.Module, inputs: torch.Tensor, target: torch.Tensor, eps: float,
                           steps: int = 100, alpha: float | None = None, batch_size: int = 128,
                           bounds: tuple[float, float] = (0.0, 1.0),
                           generator: torch.Generator | None = None) -> torch.Tensor:
    """One perturbation (1, ...) with |delta|_inf <= eps that raises the mean loss on ``inputs``."""
    expect(eps >= 0, "eps", "a non-negative float", eps)
    alpha = eps / 10 if alpha is None else alpha
    delta = torch.zeros(1, *inputs.shape[1:], requires_grad=True)     # (1, ...)
    for _ in range(steps):
        idx = torch.randint(0, len(inputs), (min(batch_size, len(inputs)),), generator=generator)
        loss = F.cross_entropy(model((inputs[idx] + delta).clamp(*bounds)), target[idx])
        (g,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta += alpha * g.sign()
            delta.clamp_(-eps, eps)
    return delta.detach()


@torch.no_grad()
def fooling_rate(model: nn.Module, inputs: torch.Tensor, delta: torch.Tensor,
                 bounds: tuple[float, float] = (0.0, 1.0)) -> float:
    """Fraction of inputs whose predicted class changes when ``delta`` is added."""
    clean = model(inputs).argmax(-1)
    return float((model((inputs + delta).clamp(*bounds)).argmax(-1) != clean).float().mean())
