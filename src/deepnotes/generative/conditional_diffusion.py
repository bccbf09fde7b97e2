"""Conditional diffusion with classifier-free guidance.

Syllabus: generative.conditional_diffusion. Notes: 003 L12D.13, L12D.15-L12D.16.

    eps_theta(x_t, t, w): the condition w (a class embedding, or caption tokens through
    cross-attention) enters the denoiser (see DiffusionUNet's ``num_classes`` / ``context_dim``).
    Training: w is replaced by the null condition with probability p_uncond = 0.1.
    Guidance: eps^ = eps_theta(x_t, t, null) + s (eps_theta(x_t, t, w) - eps_theta(x_t, t, null))
    s = 1 is the plain conditional model; s ~ 3-7.5 trades diversity for fidelity.
003's text-guided loop (x'_{t-1} = x'_t - eps'_t) has no guidance term and no noise; the DDPM
sampler is used here.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus
from .diffusion_process import DDPMSchedule
from .diffusion_sampling import ddpm_sample

__all__ = ["drop_condition", "classifier_free_guidance", "guided_ddpm_sample"]


def drop_condition(y: torch.Tensor, null_index: int, p: float = 0.1,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Replace each label by ``null_index`` with probability p (condition dropout for CFG training)."""
    expect(0 <= p <= 1, "p", "a probability", p)
    drop = torch.rand(y.shape, generator=generator) < p
    return torch.where(drop, torch.full_like(y, null_index), y)


@syllabus("generative.conditional_diffusion")
def classifier_free_guidance(model, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor, scale: float,
                             null_index: int) -> torch.Tensor:
    """eps_u + scale (eps_c - eps_u), both from one batched call; y (B,) class labels."""
    both = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([y, torch.full_like(y, null_index)]))
    eps_c, eps_u = both.chunk(2)
    return eps_u + scale * (eps_c - eps_u)


def guided_ddpm_sample(model, shape: tuple[int, ...], schedule: DDPMSchedule, y: torch.Tensor, scale: float,
                       null_index: int, generator: torch.Generator | None = None) -> torch.Tensor:
    expect(len(y) == shape[0], "y", f"{shape[0]} labels", len(y))
    return ddpm_sample(lambda x, t: classifier_free_guidance(model, x, t, y, scale, null_index), shape,
                       schedule, generator)
