"""Autoencoders: a bottleneck code z = g(x) and a decoder x^ = f(z) trained to reconstruct x.

Syllabus: generative.autoencoder, generative.linear_ae_pca. Notes: 000 L8.01-L8.02, L8.12-L8.13;
001 S14.01-S14.09, S14.18; 002 §8.2a-e; 003 L11G.24-L11G.26, L12D.10.

    z = g_phi(x)  (k < D),   x^ = f_theta(z)
    L = (1/n) sum_i ||x_i - f_theta(g_phi(x_i))||^2        (or BCE for pixels in [0, 1])

The code is a learned dimension reduction / lossy compression, and the decoder can be fed new codes.
A *linear* autoencoder x^ = U V^T x with no nonlinearity and centred data reaches its minimum when
span(U) is the top-k principal subspace (Eckart-Young; 001 S14.18, 002 §8.2e), though U itself
need not be orthonormal: compare subspaces by principal angles (``principal_angles``), checked
against scipy.linalg.subspace_angles and PCA in tests/generative/test_autoencoder.py.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..core import expect, syllabus
from ..nn import MLP

__all__ = ["Autoencoder", "LinearAutoencoder", "principal_angles"]


@syllabus("generative.autoencoder")
class Autoencoder(nn.Module):
    """MLP encoder in_features -> hidden -> code_features, mirrored MLP decoder.

    ``output`` is "linear" (MSE on real data) or "sigmoid" (pixels in [0, 1]).
    """

    def __init__(self, in_features: int, code_features: int, hidden_features: Sequence[int] = (64,),
                 activation: str = "relu", output: str = "linear", generator: torch.Generator | None = None):
        super().__init__()
        expect(isinstance(code_features, int) and code_features >= 1, "code_features", "a positive int",
               code_features)
        expect(output in ("linear", "sigmoid"), "output", "'linear' or 'sigmoid'", output)
        hidden = list(hidden_features)
        self.in_features, self.code_features = in_features, code_features
        self.encoder = MLP(in_features, hidden, code_features, activation=activation, generator=generator)
        self.decoder = MLP(code_features, hidden[::-1], in_features, activation=activation, generator=generator)
        self.output = output

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        expect(x.shape[-1] == self.in_features, "x", f"last dim {self.in_features}", tuple(x.shape))
        return self.encoder(x)                              # (B, k)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = self.decoder(z)                               # (B, D)
        return torch.sigmoid(out) if self.output == "sigmoid" else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


@syllabus("generative.linear_ae_pca")
class LinearAutoencoder(nn.Module):
    """x^ = U V^T x: ``encoder`` is Linear(D, k) holding V^T, ``decoder`` Linear(k, D) holding U."""

    def __init__(self, in_features: int, code_features: int, generator: torch.Generator | None = None):
        super().__init__()
        expect(0 < code_features <= in_features, "code_features", f"in 1..{in_features}", code_features)
        self.encoder = nn.Linear(in_features, code_features, bias=False)
        self.decoder = nn.Linear(code_features, in_features, bias=False)
        with torch.no_grad():
            for lin in (self.encoder, self.decoder):
                lin.weight.copy_(torch.randn(lin.weight.shape, generator=generator) / in_features ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))                # (B, D)

    def subspace(self) -> torch.Tensor:
        """U, the (D, k) basis of the reconstructions' span."""
        return self.decoder.weight.detach()


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, ascending) between span(a) and span(b), a (D, k), b (D, m)."""
    expect(a.dim() == 2 and b.dim() == 2 and a.shape[0] == b.shape[0], "a, b",
           "two (D, k) matrices with the same D", (tuple(a.shape), tuple(b.shape)))
    qa, _ = torch.linalg.qr(a.double())
    qb, _ = torch.linalg.qr(b.double())
    s = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)   # cosines, descending
    return torch.arccos(s).sort().values
