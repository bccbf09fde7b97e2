"""Autoencoders with a discrete code: binary units or a one-hot cluster index.

Syllabus: generative.discrete_latent_ae. Notes: 000 L8.09.

    binary:   b = 1[a > 0] in the forward pass, gradient of sigmoid(a) in the backward pass
              (straight-through: b = hard + sigmoid(a) - sg[sigmoid(a)])
    one-hot:  y = softmax((a + g) / tau), g ~ Gumbel(0, 1) (Gumbel-softmax), tau annealed down;
              with ``hard`` the forward pass takes one_hot(argmax y) and the gradient of y.
A one-hot code of size K makes the encoder an unsupervised clusterer of its inputs.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from ..nn import MLP

__all__ = ["straight_through_binary", "gumbel_softmax_sample", "DiscreteAutoencoder"]


def straight_through_binary(a: torch.Tensor) -> torch.Tensor:
    soft = torch.sigmoid(a)
    return (a > 0).to(a.dtype) + soft - soft.detach()


def gumbel_softmax_sample(logits: torch.Tensor, tau: float = 1.0, hard: bool = True,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """Like torch.nn.functional.gumbel_softmax, with a generator; logits (B, K)."""
    expect(tau > 0, "tau", "a positive temperature", tau)
    u = torch.rand(logits.shape, generator=generator, dtype=logits.dtype).clamp(1e-10, 1 - 1e-10)
    y = torch.softmax((logits - torch.log(-torch.log(u))) / tau, -1)          # (B, K)
    if not hard:
        return y
    onehot = F.one_hot(y.argmax(-1), logits.shape[-1]).to(y.dtype)
    return onehot + y - y.detach()


@syllabus("generative.discrete_latent_ae")
class DiscreteAutoencoder(nn.Module):
    """MLP encoder to ``code_features`` logits, a binary or one-hot code, MLP decoder."""

    def __init__(self, in_features: int, code_features: int, hidden_features: Sequence[int] = (64,),
                 code: str = "onehot", tau: float = 1.0, generator: torch.Generator | None = None):
        super().__init__()
        expect(code in ("onehot", "binary"), "code", "'onehot' or 'binary'", code)
        hidden = list(hidden_features)
        self.encoder = MLP(in_features, hidden, code_features, generator=generator)
        self.decoder = MLP(code_features, hidden[::-1], in_features, generator=generator)
        self.code, self.tau, self.noise_generator = code, tau, generator

    def quantize(self, logits: torch.Tensor) -> torch.Tensor:
        if self.code == "binary":
            return straight_through_binary(logits)
        if self.training:
            return gumbel_softmax_sample(logits, self.tau, hard=True, generator=self.noise_generator)
        soft = torch.softmax(logits, -1)
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype) + soft - soft.detach()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.quantize(self.encoder(x))                                  # (B, K) exactly 0/1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))

    def cluster(self, x: torch.Tensor) -> torch.Tensor:
        """The one-hot index (or binary code as an int) of each example, (B,)."""
        with torch.no_grad():
            logits = self.encoder(x)
        if self.code == "onehot":
            return logits.argmax(-1)
        bits = (logits > 0).long()
        return (bits * (2 ** torch.arange(bits.shape[-1]))).sum(-1)
