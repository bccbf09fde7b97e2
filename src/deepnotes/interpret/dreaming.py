"""DeepDream: amplify whatever a layer already sees in an image.

Syllabus: interpretability.deep_dream. Notes: 001 S11.23, S11.24; 002 §5.4a.

    repeat:  roll the image by a random (dy, dx)               (jitter)
             a = layer(x);  objective = 1/2 ||a||^2            (so the backward seed is delta = a)
             x <- x + lr * g / mean|g|                         (normalised gradient ascent)
             roll back by (-dy, -dx)                           (un-jitter: exactly the identity)

The jitter spreads the effect of the stride pattern so the dream has no grid artefacts.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["jitter", "unjitter", "deep_dream"]


def jitter(x: torch.Tensor, shift: tuple[int, int]) -> torch.Tensor:
    """Roll images (..., H, W) by (dy, dx) with wrap-around."""
    return torch.roll(x, shifts=shift, dims=(-2, -1))


def unjitter(x: torch.Tensor, shift: tuple[int, int]) -> torch.Tensor:
    return torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(-2, -1))


@syllabus("interpretability.deep_dream")
def deep_dream(layer: Callable[[torch.Tensor], torch.Tensor], image: torch.Tensor, steps: int = 20,
               lr: float = 0.01, max_jitter: int = 8, clamp: tuple[float, float] | None = (0.0, 1.0),
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, list[float]]:
    """Dream on ``image`` (B, C, H, W); returns (dreamed image, 1/2 ||a||^2 before each step)."""
    expect(image.dim() == 4, "image", "a batch of shape (B, C, H, W)", tuple(image.shape))
    x = image.detach().clone()
    history: list[float] = []
    for _ in range(steps):
        dy, dx = (int(v) for v in torch.randint(-max_jitter, max_jitter + 1, (2,), generator=generator)) \
            if max_jitter else (0, 0)
        xj = jitter(x, (dy, dx)).requires_grad_(True)
        with torch.enable_grad():
            a = layer(xj)
            obj = 0.5 * a.pow(2).sum()
            (g,) = torch.autograd.grad(obj, xj)                                 # backprop seeded with delta = a
        history.append(float(obj.detach()))
        with torch.no_grad():
            xj = xj + lr * g / g.abs().mean().clamp(min=1e-12)
            if clamp is not None:
                xj = xj.clamp(*clamp)
            x = unjitter(xj, (dy, dx)).detach()
    with torch.no_grad():
        history.append(float(0.5 * layer(x).pow(2).sum()))
    return x, history
