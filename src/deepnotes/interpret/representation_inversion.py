"""Representation inversion (Mahendran & Vedaldi): which images does a layer confuse with x0?

Syllabus: interpretability.representation_inversion. Notes: 001 S11.13.

    x* = argmin_x  ||Phi(x) - Phi(x0)||^2 / ||Phi(x0)||^2 + lambda_TV TV_beta(x) + lambda_a ||x||_alpha^alpha

by gradient descent on the image (network fixed), from noise. A first conv layer with stride 1
and enough channels is injective, so x0 comes back; deeper layers (after ReLU and pooling)
discard information and the reconstruction gets fuzzier.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import syllabus
from .image_priors import alpha_norm, total_variation

__all__ = ["invert_representation"]


@syllabus("interpretability.representation_inversion")
def invert_representation(phi: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, steps: int = 300,
                          lr: float = 0.05, tv_weight: float = 0.0, tv_beta: float = 2.0, alpha_weight: float = 0.0,
                          alpha: float = 6.0, optimizer: str = "adam", init: torch.Tensor | None = None,
                          generator: torch.Generator | None = None) -> tuple[torch.Tensor, list[float]]:
    """Reconstruct an image whose ``phi`` matches ``phi(x0)``; returns (x*, loss history)."""
    with torch.no_grad():
        target = phi(x0)
        scale = target.pow(2).sum().clamp(min=1e-12)
    x = (init.clone() if init is not None else
         0.1 * torch.randn(x0.shape, generator=generator, dtype=x0.dtype)).requires_grad_(True)
    history: list[float] = []

    def loss_fn():
        loss = (phi(x) - target).pow(2).sum() / scale
        if tv_weight:
            loss = loss + tv_weight * total_variation(x, tv_beta, eps=1e-8)
        if alpha_weight:
            loss = loss + alpha_weight * alpha_norm(x, alpha)
        return loss

    if optimizer == "lbfgs":
        opt = torch.optim.LBFGS([x], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe",
                                tolerance_grad=1e-12, tolerance_change=1e-15)

        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            history.append(float(loss.detach()))
            return loss
        with torch.enable_grad():
            opt.step(closure)
    else:
        opt = torch.optim.Adam([x], lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            with torch.enable_grad():
                loss = loss_fn()
                loss.backward()
            history.append(float(loss.detach()))
            opt.step()
    return x.detach(), history
