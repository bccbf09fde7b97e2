"""Fooling images by gradient ascent from noise (no naturalness prior).

Syllabus: robustness.fooling_images. Notes: 001 S11.15, S11.17.

Start from uniform noise and ascend log softmax(f(x))_target on the input, clamped to [0, 1],
until the target probability exceeds ``threshold``. Without a prior the images stay noisy
(high total variation) yet are classified with near certainty.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["fooling_images"]


@syllabus("robustness.fooling_images")
def fooling_images(model: nn.Module, shape: tuple[int, ...], target_class: torch.Tensor, threshold: float = 0.99,
                   steps: int = 500, lr: float = 0.05, generator: torch.Generator | None = None) -> torch.Tensor:
    """Images (B, *shape) ascending the target-class log-probability from noise."""
    expect(0 < threshold < 1, "threshold", "a probability in (0, 1)", threshold)
    B = target_class.shape[0]
    x = torch.rand(B, *shape, generator=generator).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    for _ in range(steps):
        logp = model(x).log_softmax(-1).gather(1, target_class[:, None]).squeeze(1)  # (B,)
        if bool((logp.exp() > threshold).all()):
            break
        opt.zero_grad()
        (-logp.sum()).backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
    return x.detach()
