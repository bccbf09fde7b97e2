"""Reverse-process samplers: DDPM ancestral sampling, deterministic DDIM, and the notes' subtraction.

Syllabus: generative.diffusion_sampling. Notes: 003 L12D.08.

    x_T ~ N(0, I)
    DDPM:  x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(alpha_t) + sigma_t z,
           sigma_t^2 = beta_t, z ~ N(0, I) (z = 0 at t = 1)
    DDIM (eta = 0): x0^ = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t),
           x_{t-1} = sqrt(abar_{t-1}) x0^ + sqrt(1 - abar_{t-1}) eps
003 (errata): x_{t-1} = x_t - eps_theta(x_t, t), no coefficients and no noise (only consistent with
its random-walk forward process), starting from x_T ~ N(0, T sigma^2 I) here
(``random_walk_sample``).
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import syllabus
from .diffusion_process import DDPMSchedule, RandomWalkProcess

__all__ = ["ddpm_sample", "ddim_sample", "random_walk_sample"]

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@syllabus("generative.diffusion_sampling")
@torch.no_grad()
def ddpm_sample(model: Model, shape: tuple[int, ...], schedule: DDPMSchedule,
                generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32,
                return_trajectory: bool = False):
    x = torch.randn(shape, generator=generator, dtype=dtype)
    traj = [x]
    for t in range(schedule.num_steps, 0, -1):
        tt = torch.full((shape[0],), t, dtype=torch.long)
        beta, alpha, abar = (schedule.betas[t - 1].item(), schedule.alphas[t - 1].item(),
                             schedule.alphas_cumprod[t - 1].item())
        x = (x - beta / (1 - abar) ** 0.5 * model(x, tt)) / alpha ** 0.5
        if t > 1:
            x = x + beta ** 0.5 * torch.randn(shape, generator=generator, dtype=dtype)
        if return_trajectory:
            traj.append(x)
    return (x, traj) if return_trajectory else x


@torch.no_grad()
def ddim_sample(model: Model, shape: tuple[int, ...], schedule: DDPMSchedule,
                generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32,
                steps: int | None = None) -> torch.Tensor:
    """Deterministic (eta = 0) DDIM over ``steps`` evenly spaced time steps (default all T)."""
    ts = torch.linspace(schedule.num_steps, 1, steps or schedule.num_steps).round().long().tolist()
    x = torch.randn(shape, generator=generator, dtype=dtype)
    for i, t in enumerate(ts):
        abar = schedule.alphas_cumprod[t - 1].item()
        abar_prev = schedule.alphas_cumprod[ts[i + 1] - 1].item() if i + 1 < len(ts) else 1.0
        eps = model(x, torch.full((shape[0],), t, dtype=torch.long))
        x0 = (x - (1 - abar) ** 0.5 * eps) / abar ** 0.5
        x = abar_prev ** 0.5 * x0 + (1 - abar_prev) ** 0.5 * eps
    return x


@torch.no_grad()
def random_walk_sample(model: Model, shape: tuple[int, ...], process: RandomWalkProcess,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    x = (process.num_steps ** 0.5) * process.sigma * torch.randn(shape, generator=generator)
    for t in range(process.num_steps, 0, -1):
        x = x - model(x, torch.full((shape[0],), t, dtype=torch.long))
    return x
