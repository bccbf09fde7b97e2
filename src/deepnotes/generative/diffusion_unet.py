"""Denoising networks for diffusion: a small U-Net for images and an MLP for vectors, both
conditioned on the time step through a sinusoidal embedding.

Syllabus: generative.diffusion_unet. Notes: 003 L12D.10-L12D.11.

    e_t = MLP(PE(t)),  PE(t)_{2i} = sin(t w_i), PE(t)_{2i+1} = cos(t w_i)     (one set of weights for all t)
    ResBlock(h, e) = h' + conv(SiLU(GN(conv(SiLU(GN(h))) + W e)))             (e added in every block)
    U-Net: conv_in -> ResBlock (H x W) -> stride-2 conv -> ResBlock (H/2) -> mid ResBlock
           [-> cross-attention to a context sequence] -> transposed conv -> concat skip -> ResBlock -> conv_out
Optional conditioning: a class embedding added to e_t (index ``num_classes`` is the null class used
by classifier-free guidance) and cross-attention from the bottleneck to ``context`` tokens (B, L, d_c).
003 does not describe the time-step embedding.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from ..nn import sinusoidal_encoding

__all__ = ["DiffusionUNet", "DiffusionMLP"]


class _TimeEmbedding(nn.Module):
    def __init__(self, num_steps: int, dim: int, num_classes: int = 0):
        super().__init__()
        self.register_buffer("table", sinusoidal_encoding(num_steps + 1, dim))   # (T+1, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.num_classes = num_classes
        self.classes = nn.Embedding(num_classes + 1, dim) if num_classes else None

    def forward(self, t: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        e = self.mlp(self.table[t])                                          # (B, dim)
        if self.classes is not None:
            if y is None:
                y = torch.full_like(t, self.num_classes)                     # null class
            e = e + self.classes(y)
        return e


class _ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, tdim: int):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(tdim, cout)
        self.n2, self.c2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        a = self.c1(F.silu(self.n1(h))) + self.t(e)[:, :, None, None]        # (B, cout, H, W)
        return self.skip(h) + self.c2(F.silu(self.n2(a)))


class _CrossAttention(nn.Module):
    """Queries from the feature map, keys/values from the context tokens."""

    def __init__(self, channels: int, context_dim: int, heads: int = 4):
        super().__init__()
        self.norm = nn.GroupNorm(8, channels)
        self.attn = nn.MultiheadAttention(channels, heads, kdim=context_dim, vdim=context_dim, batch_first=True)

    def forward(self, h: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, hh, ww = h.shape
        q = self.norm(h).flatten(2).transpose(1, 2)                          # (B, HW, C)
        out, _ = self.attn(q, context, context, need_weights=False)
        return h + out.transpose(1, 2).reshape(b, c, hh, ww)


@syllabus("generative.diffusion_unet")
class DiffusionUNet(nn.Module):
    """eps_theta(x_t, t[, y, context]) for images (B, C, H, W) with even H, W."""

    def __init__(self, in_channels: int = 1, base_channels: int = 32, num_steps: int = 1000,
                 time_dim: int = 64, num_classes: int = 0, context_dim: int | None = None):
        super().__init__()
        b = base_channels
        expect(b % 8 == 0, "base_channels", "a multiple of 8 (GroupNorm(8))", b)
        self.num_steps = num_steps
        self.time = _TimeEmbedding(num_steps, time_dim, num_classes)
        self.conv_in = nn.Conv2d(in_channels, b, 3, padding=1)
        self.down1 = _ResBlock(b, b, time_dim)
        self.downsample = nn.Conv2d(b, 2 * b, 3, stride=2, padding=1)
        self.down2 = _ResBlock(2 * b, 2 * b, time_dim)
        self.mid = _ResBlock(2 * b, 2 * b, time_dim)
        self.cross = _CrossAttention(2 * b, context_dim) if context_dim else None
        self.upsample = nn.ConvTranspose2d(2 * b, b, 2, stride=2)
        self.up = _ResBlock(2 * b, b, time_dim)
        self.conv_out = nn.Sequential(nn.GroupNorm(8, b), nn.SiLU(), nn.Conv2d(b, in_channels, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None,
                context: torch.Tensor | None = None) -> torch.Tensor:
        expect(x.dim() == 4 and x.shape[2] % 2 == 0 and x.shape[3] % 2 == 0, "x", "(B, C, H, W) with even H, W",
               tuple(x.shape))
        expect(t.shape == (x.shape[0],), "t", f"a (B,) = ({x.shape[0]},) tensor of steps", tuple(t.shape))
        e = self.time(t, y)                                                   # (B, time_dim)
        h1 = self.down1(self.conv_in(x), e)                                   # (B, b, H, W)
        h2 = self.down2(self.downsample(h1), e)                               # (B, 2b, H/2, W/2)
        h = self.mid(h2, e)
        if self.cross is not None and context is not None:
            h = self.cross(h, context)
        h = self.up(torch.cat([self.upsample(h), h1], 1), e)                  # (B, b, H, W)
        return self.conv_out(h)                                               # (B, C, H, W)


class DiffusionMLP(nn.Module):
    """eps_theta(x_t, t[, y]) for vectors (B, D): MLP on [x ; e_t] with e_t added to every hidden layer."""

    def __init__(self, features: int, hidden: int = 128, num_layers: int = 3, num_steps: int = 1000,
                 time_dim: int = 64, num_classes: int = 0):
        super().__init__()
        self.time = _TimeEmbedding(num_steps, time_dim, num_classes)
        self.inp = nn.Linear(features, hidden)
        self.temb = nn.ModuleList(nn.Linear(time_dim, hidden) for _ in range(num_layers))
        self.layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(num_layers))
        self.out = nn.Linear(hidden, features)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        e = self.time(t, y)
        h = self.inp(x)                                                       # (B, hidden)
        for lin, te in zip(self.layers, self.temb):
            h = h + lin(F.silu(h + te(e)))
        return self.out(F.silu(h))                                            # (B, D)
