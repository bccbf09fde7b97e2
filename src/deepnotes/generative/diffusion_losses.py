"""Diffusion training losses: predict the noise (DDPM) or the previous state (the notes' choice).

Syllabus: generative.diffusion_eps_prediction_loss, generative.diffusion_x_prediction_loss.
Notes: 003 L12D.06-L12D.07.

    eps-prediction:  L = E_{t, x_0, eps} || eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t) ||^2
    x-prediction:    L = E_{t, x_0} || x_{t-1} - f_theta(x_t, t) ||^2,  x_{t-1} ~ q(x_{t-1}|x_0), x_t ~ q(x_t|x_{t-1})
with t ~ U{1..T}. The squared norm is summed over the data dims and averaged over the batch, so
a zero predictor scores E||eps||^2 = D. 003 defines the noise target as eps_t = x_t - x_{t-1} of its
random walk (``random_walk_eps_loss``); for DDPM the standard alternatives to x_{t-1} are x_0
or the posterior mean.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import syllabus
from .diffusion_process import DDPMSchedule, RandomWalkProcess

__all__ = ["eps_prediction_loss", "x_prediction_loss", "random_walk_eps_loss"]

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _sq(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a - b) ** 2).flatten(1).sum(1).mean()


@syllabus("generative.diffusion_eps_prediction_loss")
def eps_prediction_loss(model: Model, x0: torch.Tensor, schedule: DDPMSchedule,
                        generator: torch.Generator | None = None, t: torch.Tensor | None = None) -> torch.Tensor:
    t = schedule.sample_timesteps(len(x0), generator) if t is None else t       # (B,)
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return _sq(eps, model(schedule.q_sample(x0, t, eps), t))


@syllabus("generative.diffusion_x_prediction_loss")
def x_prediction_loss(model: Model, x0: torch.Tensor, schedule: DDPMSchedule,
                      generator: torch.Generator | None = None, t: torch.Tensor | None = None) -> torch.Tensor:
    t = schedule.sample_timesteps(len(x0), generator) if t is None else t
    e1 = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    e2 = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    x_prev = torch.where((t == 1).reshape(-1, *([1] * (x0.dim() - 1))), x0,
                         schedule.q_sample(x0, (t - 1).clamp_min(1), e1))     # x_0 when t = 1
    x_t = schedule.q_step(x_prev, t, e2)
    return _sq(x_prev, model(x_t, t))


def random_walk_eps_loss(model: Model, x0: torch.Tensor, process: RandomWalkProcess,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """003's loss: || (x_t - x_{t-1}) - eps_theta(x_t, t) ||^2 on its random walk."""
    t = process.sample_timesteps(len(x0), generator)
    _, x_t, eps = process.q_pair(x0, t, generator)
    return _sq(eps, model(x_t, t))
