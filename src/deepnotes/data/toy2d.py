"""Toy 2-D distributions for generative models: ring and grid of Gaussians, moons, swiss roll, spirals.

Syllabus: generative.toy_distributions. Notes: 000 L6.28-L6.29 (GANs on a mixture of
Gaussians), 003 L12.06.

A mixture of K equally weighted isotropic Gaussians with centres mu_k and standard deviation s
has the density

    p(x) = (1/K) sum_k N(x; mu_k, s^2 I),
    log p(x) = logsumexp_k [ -|x - mu_k|^2 / (2 s^2) ] - log K - log(2 pi s^2)

``ring8``: 8 centres evenly spaced on a circle of radius 2, s = 0.02.
``grid25``: centres at {-4, -2, 0, 2, 4}^2, s = 0.05 (the settings the GAN mode-collapse
literature uses). Samples come with their mode id, so modes covered can be counted.

The curve-shaped sets have no closed-form density (a curve blurred by noise), so they return
samples and a label only: ``moons`` (two interleaved half circles, label = moon),
``swissroll`` (the 2-D roll (t cos t, t sin t)/5 with t in [1.5 pi, 4.5 pi], label = t),
``spirals`` (two arms r ∝ theta, offset by pi, label = arm).
"""
from __future__ import annotations

import math

import torch
from torch.utils.data import TensorDataset

from ..core import expect, syllabus
from ._seed import check_count, split_generator
from .registry import register_dataset

__all__ = ["MixtureOfGaussians2d", "ring8", "grid25", "sample_moons", "sample_swissroll", "sample_spirals"]


@syllabus("generative.toy_distributions")
class MixtureOfGaussians2d:
    """Equal-weight isotropic Gaussian mixture in 2-D with exact ``log_prob`` and seeded ``sample``."""

    def __init__(self, means: torch.Tensor, std: float):
        means = torch.as_tensor(means, dtype=torch.float64)
        expect(means.ndim == 2 and means.shape[1] == 2 and len(means) > 0, "means", "a (K, 2) tensor",
               tuple(means.shape))
        expect(std > 0, "std", "a positive float", std)
        self.means, self.std = means, float(std)                   # (K, 2)

    @property
    def num_modes(self) -> int:
        return len(self.means)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` points (n, 2) float32 and their mode ids (n,) long."""
        check_count(n, "n")
        mode = torch.randint(self.num_modes, (n,), generator=generator)          # (n,)
        noise = torch.randn(n, 2, generator=generator, dtype=torch.float64)      # (n, 2)
        return (self.means[mode] + self.std * noise).float(), mode

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) for points (..., 2), in x's floating dtype (computed in float64)."""
        expect(x.shape[-1:] == (2,), "x", "a (..., 2) tensor", tuple(x.shape))
        xd = x.to(torch.float64).unsqueeze(-2)                                   # (..., 1, 2)
        sq = ((xd - self.means) ** 2).sum(-1)                                    # (..., K)
        s2 = self.std ** 2
        out = torch.logsumexp(-sq / (2 * s2), dim=-1) - math.log(self.num_modes) - math.log(2 * math.pi * s2)
        return out.to(x.dtype if x.is_floating_point() else torch.float64)

    def nearest_mode(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the closest centre for each point (..., 2) -> (...,)."""
        return torch.cdist(x.to(torch.float64).reshape(-1, 2), self.means).argmin(-1).reshape(x.shape[:-1])


@syllabus("generative.toy_distributions")
def ring8(radius: float = 2.0, std: float = 0.02, modes: int = 8) -> MixtureOfGaussians2d:
    """``modes`` Gaussians evenly spaced on a circle of ``radius``."""
    check_count(modes, "modes")
    angle = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)     # (K,)
    return MixtureOfGaussians2d(radius * torch.stack([angle.cos(), angle.sin()], 1), std)


@syllabus("generative.toy_distributions")
def grid25(spacing: float = 2.0, std: float = 0.05, side: int = 5) -> MixtureOfGaussians2d:
    """``side`` x ``side`` Gaussians on a square grid centred at the origin."""
    check_count(side, "side")
    c = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing     # (side,)
    gx, gy = torch.meshgrid(c, c, indexing="ij")
    return MixtureOfGaussians2d(torch.stack([gx.flatten(), gy.flatten()], 1), std)


@syllabus("generative.toy_distributions")
def sample_moons(n: int, noise: float = 0.1, generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Two moons as in sklearn's make_moons (random angles): points (n, 2) and moon ids (n,)."""
    check_count(n, "n")
    expect(noise >= 0, "noise", "a non-negative float", noise)
    y = torch.randint(2, (n,), generator=generator)                              # (n,)
    t = math.pi * torch.rand(n, generator=generator, dtype=torch.float64)        # (n,)
    upper = torch.stack([t.cos(), t.sin()], 1)                                   # (n, 2)
    lower = torch.stack([1 - t.cos(), 0.5 - t.sin()], 1)                         # (n, 2)
    x = torch.where(y[:, None] == 0, upper, lower)
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return x.float(), y


@syllabus("generative.toy_distributions")
def sample_swissroll(n: int, noise: float = 0.05, generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """The 2-D swiss roll (t cos t, t sin t) / 5, t ~ U(1.5 pi, 4.5 pi): points (n, 2) and t (n,)."""
    check_count(n, "n")
    expect(noise >= 0, "noise", "a non-negative float", noise)
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator, dtype=torch.float64))  # (n,)
    x = torch.stack([t * t.cos(), t * t.sin()], 1) / 5                           # (n, 2)
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return x.float(), t.float()


@syllabus("generative.toy_distributions")
def sample_spirals(n: int, noise: float = 0.05, turns: float = 1.5, radius: float = 3.0,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spirals r = radius * theta / theta_max, arm k rotated by k pi: (n, 2), arm ids (n,)."""
    check_count(n, "n")
    expect(noise >= 0, "noise", "a non-negative float", noise)
    expect(turns > 0, "turns", "a positive float", turns)
    y = torch.randint(2, (n,), generator=generator)                              # (n,)
    theta_max = 2 * math.pi * turns
    theta = theta_max * torch.rand(n, generator=generator, dtype=torch.float64).sqrt()  # uniform along arc-ish
    r = radius * theta / theta_max
    phase = theta + math.pi * y
    x = torch.stack([r * phase.cos(), r * phase.sin()], 1)                       # (n, 2)
    x = x + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return x.float(), y


def _loader(name: str, sample, doc: str):
    @register_dataset(name, description=doc, tags=("2d", "generative"))
    def load(split: str = "train", n: int = 4096, seed: int = 0, **kwargs) -> TensorDataset:
        g = split_generator(seed, split)
        x, y = sample(n, generator=g, **kwargs)
        return TensorDataset(x, y)
    load.__name__ = f"load_{name}"
    load.__doc__ = f"TensorDataset of {doc}: points (n, 2) float32 and labels (n,); each split its own draw."
    return load


_loader("ring8", lambda n, generator, **kw: ring8(**kw).sample(n, generator),
        "8 Gaussians on a ring (radius 2, std 0.02) with mode ids")
_loader("grid25", lambda n, generator, **kw: grid25(**kw).sample(n, generator),
        "5x5 grid of Gaussians (spacing 2, std 0.05) with mode ids")
_loader("moons", sample_moons, "two moons with moon ids")
_loader("swissroll", sample_swissroll, "2-D swiss roll with its roll parameter t")
_loader("spirals", sample_spirals, "two spirals with arm ids")
