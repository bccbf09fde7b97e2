"""Latent-space sampling tricks: truncated normal (truncation trick) and lerp / slerp interpolation.

Syllabus: generative.truncation_trick, generative.latent_interpolation. Notes: 000 L6.06; 002 §8.6j2, §8.6l.

Truncation: draw z ~ N(0, I) and redraw every component with |z_i| > t until all lie in [-t, t]
    (the notes' figure uses t = 0.5); smaller t trades diversity for fidelity.
lerp:  z(a) = (1 - a) z0 + a z1
slerp: z(a) = sin((1 - a) w)/sin(w) z0 + sin(a w)/sin(w) z1,  cos w = <z0, z1>/(|z0||z1|)
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["truncated_normal", "lerp", "slerp"]


@syllabus("generative.truncation_trick")
def truncated_normal(shape: tuple[int, ...], threshold: float, generator: torch.Generator | None = None,
                     max_rounds: int = 1000) -> torch.Tensor:
    """N(0, 1) samples of ``shape`` with every entry resampled until |z_i| <= ``threshold``."""
    expect(threshold > 0, "threshold", "a positive float", threshold)
    z = torch.randn(shape, generator=generator)
    for _ in range(max_rounds):
        bad = z.abs() > threshold
        n = int(bad.sum())
        if n == 0:
            return z
        z[bad] = torch.randn(n, generator=generator)
    raise RuntimeError(f"threshold: {threshold} too small, resampling did not finish in {max_rounds} rounds")


@syllabus("generative.latent_interpolation")
def lerp(z0: torch.Tensor, z1: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """(D,), (D,), alphas (A,) -> (A, D) linear interpolation."""
    expect(z0.shape == z1.shape and z0.ndim == 1, "z1", f"shape {tuple(z0.shape)}", tuple(z1.shape))
    a = alpha.to(z0.dtype)[:, None]                                         # (A, 1)
    return (1 - a) * z0 + a * z1


@syllabus("generative.latent_interpolation")
def slerp(z0: torch.Tensor, z1: torch.Tensor, alpha: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """(D,), (D,), alphas (A,) -> (A, D) spherical interpolation (lerp when z0 and z1 are parallel)."""
    expect(z0.shape == z1.shape and z0.ndim == 1, "z1", f"shape {tuple(z0.shape)}", tuple(z1.shape))
    a = alpha.to(z0.dtype)[:, None]                                         # (A, 1)
    cos = (z0 @ z1 / (z0.norm() * z1.norm())).clamp(-1, 1)
    w = torch.arccos(cos)
    if w.abs() < eps:
        return lerp(z0, z1, alpha)
    return (torch.sin((1 - a) * w) * z0 + torch.sin(a * w) * z1) / torch.sin(w)
