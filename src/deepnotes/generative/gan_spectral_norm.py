"""Spectral normalisation of a weight by persistent power iteration.

Syllabus: generative.spectral_norm. Notes: 002 §8.6z, §8.6aa, P10.

    W_SN = W / sigma(W),   sigma(W) = max singular value of W reshaped to (out, -1),
    estimated each training forward by power iteration with a persistent u:
        v <- normalize(W^T u),  u <- normalize(W v),  sigma ~= u^T W v.
So every layer is (approximately) 1-Lipschitz and the network's Lipschitz constant is at most the
product of the layers'. Same algorithm, buffer names (_u, _v) and defaults as
torch.nn.utils.parametrizations.spectral_norm; outputs agree given the same u, v
(tests/generative/test_gan_regularizers.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from ..core import expect, syllabus

__all__ = ["SpectralNormParam", "spectral_norm"]


@syllabus("generative.spectral_norm")
class SpectralNormParam(nn.Module):
    """Parametrisation W -> W / sigma_hat(W); ``dim`` is the output dimension (1 for ConvTranspose)."""

    def __init__(self, weight: torch.Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12,
                 generator: torch.Generator | None = None):
        super().__init__()
        expect(weight.ndim >= 2, "weight", "a tensor with >= 2 dims", tuple(weight.shape))
        expect(n_power_iterations >= 1, "n_power_iterations", "an int >= 1", n_power_iterations)
        self.dim, self.eps, self.n_power_iterations = dim, eps, n_power_iterations
        mat = self._matrix(weight)                                          # (out, in)
        u = F.normalize(torch.randn(mat.shape[0], generator=generator, dtype=mat.dtype), dim=0, eps=eps)
        v = F.normalize(torch.randn(mat.shape[1], generator=generator, dtype=mat.dtype), dim=0, eps=eps)
        self.register_buffer("_u", u.to(weight.device))
        self.register_buffer("_v", v.to(weight.device))
        self._power_method(mat, 15)

    def _matrix(self, w: torch.Tensor) -> torch.Tensor:
        if self.dim != 0:
            w = w.movedim(self.dim, 0)
        return w.flatten(1)                                                  # (out, in)

    @torch.no_grad()
    def _power_method(self, mat: torch.Tensor, iters: int) -> None:
        for _ in range(iters):
            self._u = F.normalize(mat @ self._v, dim=0, eps=self.eps, out=self._u)
            self._v = F.normalize(mat.mH @ self._u, dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(memory_format=torch.contiguous_format), self._v.clone(memory_format=torch.contiguous_format)
        sigma = torch.vdot(u, mat @ v)                                      # scalar
        return weight / sigma


@syllabus("generative.spectral_norm")
def spectral_norm(module: nn.Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None, generator: torch.Generator | None = None) -> nn.Module:
    """Register the parametrisation on ``module.<name>`` (torch-style API); returns the module."""
    expect(hasattr(module, name), "name", f"a parameter of {type(module).__name__}", name)
    weight = getattr(module, name)
    if dim is None:
        dim = 1 if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)) else 0
    parametrize.register_parametrization(
        module, name, SpectralNormParam(weight, n_power_iterations, dim, eps, generator))
    return module
