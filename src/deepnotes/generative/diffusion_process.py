"""The diffusion forward (noising) process: DDPM's variance-preserving chain, and the notes' random walk.

Syllabus: generative.diffusion_forward_process. Notes: 003 L12D.03-L12D.05.

DDPM (standard):
    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),   beta_t linear 1e-4 -> 0.02, T = 1000
    alpha_t = 1 - beta_t,  abar_t = prod_{s<=t} alpha_s
    q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)   i.e.  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps
    abar_T = 4.04e-5: x_T is almost exactly N(0, I).
003's variant (errata): an unscaled random walk x_t = x_{t-1} + eps_t, eps_t ~ N(0, sigma^2 I)
(003 calls sigma the variance), whose variance t sigma^2 grows without bound, so x_T never reaches a
fixed prior; ``RandomWalkProcess`` implements it for comparison.
Time steps are 1-based (t in 1..T); tensors are indexed with t - 1.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["DDPMSchedule", "RandomWalkProcess"]


def _bcast(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (x.dim() - 1))).to(x.dtype)               # (B, 1, ...)


@syllabus("generative.diffusion_forward_process")
class DDPMSchedule(nn.Module):
    """Buffers ``betas``, ``alphas``, ``alphas_cumprod`` (T,) and the forward-process samplers."""

    def __init__(self, num_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        super().__init__()
        expect(num_steps >= 1, "num_steps", "a positive int", num_steps)
        expect(0 < beta_start <= beta_end < 1, "beta_start, beta_end", "0 < beta_start <= beta_end < 1",
               (beta_start, beta_end))
        betas = torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
        self.num_steps = num_steps
        self.register_buffer("betas", betas)
        self.register_buffer("alphas", 1 - betas)
        self.register_buffer("alphas_cumprod", torch.cumprod(1 - betas, 0))

    def _check_t(self, t: torch.Tensor) -> None:
        expect(bool(((t >= 1) & (t <= self.num_steps)).all()), "t", f"steps in 1..{self.num_steps}", t)

    def sample_timesteps(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """t ~ U{1..T}, (n,)."""
        return torch.randint(1, self.num_steps + 1, (n,), generator=generator)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """Closed form x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps."""
        self._check_t(t)
        abar = _bcast(self.alphas_cumprod[t - 1], x0)
        return abar.sqrt() * x0 + (1 - abar).sqrt() * eps

    def q_step(self, x_prev: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """One step of the chain: x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps."""
        self._check_t(t)
        beta = _bcast(self.betas[t - 1], x_prev)
        return (1 - beta).sqrt() * x_prev + beta.sqrt() * eps

    def marginal(self, t: int) -> tuple[float, float]:
        """(mean scale sqrt(abar_t), variance 1 - abar_t) of q(x_t | x_0)."""
        abar = self.alphas_cumprod[t - 1].item()
        return abar ** 0.5, 1 - abar


class RandomWalkProcess:
    """003's forward process x_t = x_{t-1} + sigma eps_t; q(x_t | x_0) = N(x_0, t sigma^2 I)."""

    def __init__(self, num_steps: int = 100, sigma: float = 0.1):
        expect(sigma > 0, "sigma", "a positive float", sigma)
        self.num_steps, self.sigma = num_steps, sigma

    def sample_timesteps(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randint(1, self.num_steps + 1, (n,), generator=generator)

    def q_pair(self, x0: torch.Tensor, t: torch.Tensor, generator: torch.Generator | None = None):
        """(x_{t-1}, x_t, eps_t) with x_{t-1} = x_0 + sqrt(t-1) sigma z and eps_t = x_t - x_{t-1}."""
        z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        eps = self.sigma * torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        x_prev = x0 + _bcast((t - 1).double().sqrt() * self.sigma, x0) * z
        return x_prev, x_prev + eps, eps
