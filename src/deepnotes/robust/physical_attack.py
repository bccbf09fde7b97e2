"""Physical-world perturbations: expectation over transformations (EOT) with smoothness and
printability penalties.

Syllabus: robustness.physical_attack (NOT claimed: on the 8x8 digits CNN the EOT perturbation did
not survive random rotations better than plain PGD, see the report). Notes: 000 L10.15.

    max_{|delta|_inf <= eps} E_{T ~ transforms} CE(f(T(x + delta)), y)
                             - lam_tv TV(delta) - lam_nps NPS(delta)

TV is the anisotropic total variation (smooth perturbations survive printing and cameras);
NPS(delta) is the mean distance from each perturbed pixel to its nearest printable value (a
small palette). ``random_physical_transform`` draws a shift (integer roll), a small rotation and a
brightness change, all differentiable in the input.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect
from .threat_models import check_attack_inputs, project_linf

__all__ = ["random_physical_transform", "non_printability", "eot_attack"]


def random_physical_transform(x: torch.Tensor, max_shift: int = 1, max_angle: float = 15.0,
                              brightness: float = 0.2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random rotation (+- max_angle deg), translation (+- max_shift px) and brightness scale; x (B, C, H, W)."""
    B, _, H, W = x.shape
    ang = (torch.rand(B, generator=generator) * 2 - 1) * math.radians(max_angle)
    shift = torch.randint(-max_shift, max_shift + 1, (B, 2), generator=generator).float()
    theta = torch.zeros(B, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = ang.cos(), -ang.sin()
    theta[:, 1, 0], theta[:, 1, 1] = ang.sin(), ang.cos()
    theta[:, 0, 2], theta[:, 1, 2] = shift[:, 0] * 2 / W, shift[:, 1] * 2 / H
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)             # (B, H, W, 2)
    out = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    scale = 1 + (torch.rand(B, 1, 1, 1, generator=generator) * 2 - 1) * brightness
    return (out * scale).clamp(0, 1)


def non_printability(x: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """Mean over pixels of the distance to the closest printable value in ``palette`` (P,)."""
    return (x.unsqueeze(-1) - palette).abs().amin(-1).mean()


def eot_attack(model: nn.Module, inputs: torch.Tensor, target: torch.Tensor, eps: float, steps: int = 40,
               alpha: float | None = None, samples: int = 8, lam_tv: float = 0.0, lam_nps: float = 0.0,
               palette: torch.Tensor | None = None, transform=random_physical_transform,
               bounds: tuple[float, float] = (0.0, 1.0), generator: torch.Generator | None = None) -> torch.Tensor:
    """PGD on the loss averaged over ``samples`` random transforms, minus TV and NPS penalties."""
    check_attack_inputs(inputs, target, eps, bounds)
    alpha = eps / 4 if alpha is None else alpha
    palette = torch.linspace(0, 1, 5) if palette is None else palette
    x0 = inputs.detach()
    x = x0.clone()
    for _ in range(steps):
        x.requires_grad_(True)
        batch = x.repeat(samples, *([1] * (x.dim() - 1)))                     # (S*B, C, H, W)
        loss = F.cross_entropy(model(transform(batch, generator=generator)), target.repeat(samples))
        d = x - x0
        tv = (d[..., 1:, :] - d[..., :-1, :]).abs().mean() + (d[..., :, 1:] - d[..., :, :-1]).abs().mean()
        objective = loss - lam_tv * tv - lam_nps * non_printability(x, palette)
        (g,) = torch.autograd.grad(objective, x)
        x = project_linf(x.detach() + alpha * g.sign(), x0, eps, bounds)
    return x
