"""Gradient saliency and SmoothGrad (Captum's ``Saliency`` and ``NoiseTunnel(Saliency)``).

Syllabus: interpretability.saliency_map, interpretability.smoothgrad.
Notes: 000 L9.04, L9.05; 001 S21.11; 002 §5.3c.

    saliency:    S(x) = | d y_c / d x |                 (same shape as x; take max over channels to plot)
    SmoothGrad:  S~(x) = 1/n sum_i S(x + eps_i),  eps_i ~ N(0, sigma^2),  sigma = 0.15 (max x - min x)

y_c is the pre-softmax score of the target class (or any scalar the model returns). For a hidden
unit, pass a model that returns that unit. The defaults are SmoothGrad's (n = 50, 15% noise
level); the noise may be given as a ``generator`` for reproducibility.
"""
from __future__ import annotations

from typing import Any

import torch

from ..core import expect, syllabus
from ._target import input_gradient

__all__ = ["saliency", "smoothgrad", "saliency_to_image"]


@syllabus("interpretability.saliency_map")
def saliency(model: torch.nn.Module, inputs: torch.Tensor, target: Any = None, abs: bool = True) -> torch.Tensor:
    """|d model(inputs)[:, target] / d inputs|, shaped like ``inputs``."""
    grad = input_gradient(model, inputs, target)
    return grad.abs() if abs else grad


@syllabus("interpretability.saliency_map")
def saliency_to_image(attribution: torch.Tensor, channel_dim: int = 1) -> torch.Tensor:
    """(B, C, H, W) -> (B, H, W): max of |attribution| over channels, as the saliency papers plot."""
    return attribution.abs().amax(dim=channel_dim)


@syllabus("interpretability.smoothgrad")
def smoothgrad(model: torch.nn.Module, inputs: torch.Tensor, target: Any = None, n_samples: int = 50,
               noise_level: float = 0.15, stdevs: float | None = None, abs: bool = True,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean saliency over ``n_samples`` noisy copies of each input.

    The noise std is ``stdevs`` if given, else ``noise_level * (max - min)`` of each example.
    """
    expect(n_samples >= 1, "n_samples", "an integer >= 1", n_samples)
    B = inputs.size(0)
    if stdevs is None:
        flat = inputs.reshape(B, -1)
        sigma = noise_level * (flat.max(1).values - flat.min(1).values)        # (B,)
    else:
        expect(stdevs >= 0, "stdevs", "a non-negative float", stdevs)
        sigma = inputs.new_full((B,), float(stdevs))
    sigma = sigma.view(1, B, *([1] * (inputs.dim() - 1)))
    noise = torch.randn((n_samples,) + tuple(inputs.shape), generator=generator,
                        dtype=inputs.dtype).to(inputs.device) * sigma         # (n, B, ...)
    noisy = (inputs.unsqueeze(0) + noise).reshape(n_samples * B, *inputs.shape[1:])
    tgt = target
    if isinstance(target, torch.Tensor) and target.dim() > 0:
        tgt = target.repeat(n_samples)
    elif isinstance(target, (list, tuple)):
        tgt = torch.as_tensor(target).repeat(n_samples)
    grads = saliency(model, noisy, tgt, abs=abs)                                # (n*B, ...)
    return grads.view(n_samples, *inputs.shape).mean(0)
