"""Normalising flows from coupling layers: NICE (additive) and RealNVP (affine).

Syllabus: generative.change_of_variables, generative.normalizing_flow, generative.additive_coupling,
generative.affine_coupling. Notes: 000 L6.24; 002 §8.5a-e, P8; 003 L12.08-L12.16.

Change of variables, x = f(z) with f invertible:
    p_X(x) = p_Z(f^-1(x)) |det d f^-1/dx| = p_Z(z) |det df/dz|^-1
A flow composes layers x = f_L o ... o f_1(z):
    log p(x) = log p(z) - sum_l log|det d f_l / d z_{l-1}|         trained by maximum likelihood
Couplings split the vector in two halves (mask), keep one and transform the other:
    additive (NICE):  x1 = z1,  x2 = z2 + m(z1);                 log|det J| = 0
    affine (RealNVP): x1 = z1,  x2 = z2 * exp(s(z1)) + t(z1);     log|det J| = sum s(z1)
    inverses:         z2 = x2 - m(x1);   z2 = (x2 - t(x1)) * exp(-s(x1))
Consecutive couplings alternate the kept half. NICE ends with a diagonal scaling x = exp(d) * z
(log|det| = sum d). 003 writes the composition with a Hadamard product and its affine Jacobian
lists only dF/du off the diagonal (it depends on s and t); the determinant it gives is right.
003 also says the determinant must be "easy to invert": it must be easy to compute.

Here each layer maps data -> latent in ``forward`` (z = f^-1(x), what the likelihood needs) and
latent -> data in ``inverse``; both return the log|det| of the map they apply.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["AdditiveCoupling", "AffineCoupling", "DiagonalScaling", "NormalizingFlow", "transformed_log_prob"]


@syllabus("generative.change_of_variables")
def transformed_log_prob(x: torch.Tensor, inverse, base: torch.distributions.Distribution) -> torch.Tensor:
    """log p_X(x) = log p_Z(f^-1(x)) + log|det d f^-1/dx| with ``inverse(x) -> (z, logdet)``."""
    z, logdet = inverse(x)
    lp = base.log_prob(z)
    return (lp.sum(-1) if lp.dim() == z.dim() and z.dim() > 1 else lp) + logdet


def _mask(features: int, parity: int) -> torch.Tensor:
    return (torch.arange(features) % 2 == parity).float()                     # 1 = kept half


def _net(features: int, hidden: int, out: int) -> nn.Sequential:
    net = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                        nn.Linear(hidden, out))
    nn.init.zeros_(net[-1].weight)
    nn.init.zeros_(net[-1].bias)                                              # starts as the identity map
    return net


@syllabus("generative.additive_coupling")
class AdditiveCoupling(nn.Module):
    """NICE coupling: the masked-out half is shifted by m(kept half). Volume preserving."""

    def __init__(self, features: int, hidden: int = 64, parity: int = 0):
        super().__init__()
        expect(features >= 2, "features", "an int >= 2", features)
        self.register_buffer("mask", _mask(features, parity))
        self.m = _net(features, hidden, features)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:     # data -> latent
        shift = self.m(x * self.mask) * (1 - self.mask)                       # (B, D)
        return x - shift, x.new_zeros(x.shape[0])

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:     # latent -> data
        shift = self.m(z * self.mask) * (1 - self.mask)
        return z + shift, z.new_zeros(z.shape[0])


@syllabus("generative.affine_coupling")
class AffineCoupling(nn.Module):
    """RealNVP coupling: x2 = z2 * exp(s(z1)) + t(z1), with s = scale * tanh(.) kept bounded."""

    def __init__(self, features: int, hidden: int = 64, parity: int = 0):
        super().__init__()
        expect(features >= 2, "features", "an int >= 2", features)
        self.register_buffer("mask", _mask(features, parity))
        self.st = _net(features, hidden, 2 * features)
        self.scale = nn.Parameter(torch.ones(features))

    def _s_t(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.st(kept).chunk(2, -1)                                     # (B, D) each
        s = self.scale * torch.tanh(s) * (1 - self.mask)
        return s, t * (1 - self.mask)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:     # data -> latent
        s, t = self._s_t(x * self.mask)
        return (x - t) * torch.exp(-s), -s.sum(-1)

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:     # latent -> data
        s, t = self._s_t(z * self.mask)
        return z * torch.exp(s) + t, s.sum(-1)


class DiagonalScaling(nn.Module):
    """NICE's last layer x = exp(d) * z."""

    def __init__(self, features: int):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(features))

    def forward(self, x):
        return x * torch.exp(-self.log_scale), -self.log_scale.sum().expand(x.shape[0])

    def inverse(self, z):
        return z * torch.exp(self.log_scale), self.log_scale.sum().expand(z.shape[0])


@syllabus("generative.normalizing_flow")
class NormalizingFlow(nn.Module):
    """A stack of couplings with alternating masks over a standard normal base.

    ``coupling`` "additive" (NICE, with a final diagonal scaling) or "affine" (RealNVP).
    """

    def __init__(self, features: int, num_layers: int = 6, hidden: int = 64, coupling: str = "affine"):
        super().__init__()
        expect(coupling in ("additive", "affine"), "coupling", "'additive' or 'affine'", coupling)
        expect(num_layers >= 1, "num_layers", "a positive int", num_layers)
        layer = AdditiveCoupling if coupling == "additive" else AffineCoupling
        layers: list[nn.Module] = [layer(features, hidden, parity=i % 2) for i in range(num_layers)]
        if coupling == "additive":
            layers.append(DiagonalScaling(features))
        self.layers = nn.ModuleList(layers)
        self.features = features

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, D) -> (z, log|det dz/dx|)."""
        expect(x.dim() == 2 and x.shape[1] == self.features, "x", f"(B, {self.features})", tuple(x.shape))
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = z.new_zeros(z.shape[0])
        for layer in reversed(self.layers):
            z, ld = layer.inverse(z)
            logdet = logdet + ld
        return z, logdet

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z, logdet = self(x)
        return -0.5 * (z ** 2).sum(-1) - 0.5 * self.features * math.log(2 * math.pi) + logdet   # (B,)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.features, generator=generator, dtype=self.layers[0].mask.dtype
                        if hasattr(self.layers[0], "mask") else torch.float32)
        return self.inverse(z)[0]
