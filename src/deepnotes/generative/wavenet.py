"""WaveNet: dilated causal convolutions with gated units, residual and skip connections.

Syllabus: generative.wavenet. Notes: 003 L12.18.

    per layer (dilation d):  z = tanh(W_f *_d x) . sigmoid(W_g *_d x)      (gated activation)
                             x <- x + W_r z (residual),   skip += W_s z
    output: ReLU -> 1x1 -> ReLU -> 1x1 -> softmax over Q quantised levels (mu-law, Q = 256)
Dilations 1, 2, ..., 512 per block (repeated ``blocks`` times); kernel 2 gives one block a
receptive field of (K-1) * sum(d) + 1 = 1024 samples. Output t is the distribution of x_{t+1}
and depends on x_{t-R+1..t} only. Reuses deepnotes.nn.CausalConv1d.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from ..nn import CausalConv1d

__all__ = ["WaveNet", "wavenet_receptive_field", "mu_law_encode", "mu_law_decode"]


def wavenet_receptive_field(kernel_size: int, dilations: Sequence[int]) -> int:
    return (kernel_size - 1) * sum(dilations) + 1


def mu_law_encode(x: torch.Tensor, quantization: int = 256) -> torch.Tensor:
    """x in [-1, 1] -> integer levels 0..Q-1 via f(x) = sign(x) ln(1 + mu|x|)/ln(1 + mu), mu = Q - 1."""
    mu = quantization - 1
    y = torch.sign(x) * torch.log1p(mu * x.abs().clamp(max=1)) / math.log1p(mu)
    return ((y + 1) / 2 * mu + 0.5).long().clamp(0, mu)


def mu_law_decode(q: torch.Tensor, quantization: int = 256) -> torch.Tensor:
    mu = quantization - 1
    y = 2 * q.float() / mu - 1
    return torch.sign(y) * ((1 + mu) ** y.abs() - 1) / mu


@syllabus("generative.wavenet")
class WaveNet(nn.Module):
    def __init__(self, quantization: int = 256, channels: int = 32, skip_channels: int = 32,
                 layers_per_block: int = 10, blocks: int = 1, kernel_size: int = 2):
        super().__init__()
        expect(layers_per_block >= 1 and blocks >= 1, "layers_per_block, blocks", "positive ints",
               (layers_per_block, blocks))
        self.quantization = quantization
        self.dilations = [2 ** i for i in range(layers_per_block)] * blocks
        self.kernel_size = kernel_size
        self.input = nn.Conv1d(quantization, channels, 1)
        self.filters = nn.ModuleList(CausalConv1d(channels, channels, kernel_size, d) for d in self.dilations)
        self.gates = nn.ModuleList(CausalConv1d(channels, channels, kernel_size, d) for d in self.dilations)
        self.residual = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in self.dilations)
        self.skip = nn.ModuleList(nn.Conv1d(channels, skip_channels, 1) for _ in self.dilations)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv1d(skip_channels, skip_channels, 1), nn.ReLU(),
                                 nn.Conv1d(skip_channels, quantization, 1))

    @property
    def receptive_field(self) -> int:
        return wavenet_receptive_field(self.kernel_size, self.dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T) levels or (B, Q, T) one-hot/float -> logits (B, Q, T); logits[..., t] predict x_{t+1}."""
        if x.dim() == 2:
            x = F.one_hot(x.long(), self.quantization).transpose(1, 2).float()   # (B, Q, T)
        expect(x.dim() == 3 and x.shape[1] == self.quantization, "x", f"(B, T) or (B, {self.quantization}, T)",
               tuple(x.shape))
        h = self.input(x)                                                     # (B, C, T)
        skip = 0
        for f, g, r, s in zip(self.filters, self.gates, self.residual, self.skip):
            z = torch.tanh(f(h)) * torch.sigmoid(g(h))                        # gated activation
            h = h + r(z)
            skip = skip + s(z)
        return self.out(skip)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Mean next-sample NLL in nats; x (B, T) levels."""
        return F.cross_entropy(self(x)[:, :, :-1], x[:, 1:].long())
