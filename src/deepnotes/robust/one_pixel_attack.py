"""One-pixel attack by differential evolution (black box, L0 = 1).

Syllabus: robustness.one_pixel_attack. Notes: 000 L10.13.

Search the triple (row, col, value) of one pixel with scipy's differential evolution to minimise
the model's probability of the true class; only forward queries are used.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["one_pixel_attack"]


@syllabus("robustness.one_pixel_attack")
def one_pixel_attack(model: nn.Module, image: torch.Tensor, label: int, maxiter: int = 30, popsize: int = 20,
                     bounds: tuple[float, float] = (0.0, 1.0), seed: int = 0) -> tuple[torch.Tensor, bool]:
    """Attack one image (C, H, W); returns (adversarial image, whether the label flipped)."""
    from scipy.optimize import differential_evolution

    expect(image.dim() == 3, "image", "a single image (C, H, W)", tuple(image.shape))
    C, H, W = image.shape
    base = image.detach()

    def stamp(z: np.ndarray) -> torch.Tensor:                 # z (3, P) -> (P, C, H, W)
        P = z.shape[1]
        out = base.expand(P, C, H, W).clone()
        r = np.clip(z[0].astype(int), 0, H - 1)
        c = np.clip(z[1].astype(int), 0, W - 1)
        out[torch.arange(P), :, torch.as_tensor(r), torch.as_tensor(c)] = torch.as_tensor(z[2], dtype=out.dtype)[:, None]
        return out

    @torch.no_grad()
    def true_prob(z: np.ndarray) -> np.ndarray:
        z = z.reshape(3, -1)
        return model(stamp(z)).softmax(-1)[:, label].numpy()

    res = differential_evolution(true_prob, [(0, H), (0, W), bounds], maxiter=maxiter, popsize=popsize,
                                 seed=seed, vectorized=True, polish=False, tol=0, updating="deferred")
    adv = stamp(res.x.reshape(3, 1))[0]
    with torch.no_grad():
        flipped = int(model(adv[None]).argmax(-1)) != label
    return adv, flipped
