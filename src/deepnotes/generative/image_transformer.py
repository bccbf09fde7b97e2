"""Image Transformer: decoder-only self-attention over pixels with a causal AND local mask.

Syllabus: generative.image_transformer. Notes: 002 §8.1f-h.

    input_i = emb(x_{i-1}) + pos_i          (raster order, x_0 = start token)
    a_ij = softmax_j(q_i . k_j / sqrt(d) + M_ij),  M_ij = 0 if allowed else -inf
    allowed(i, j) = j <= i  and  local(i, j):
        "1d":  i - j < window                        (a window in raster order)
        "2d":  |row_i - row_j| <= r and |col_i - col_j| <= r     (a 2-D neighbourhood block)
Each layer: x + Attn(LN(x)), then x + MLP(LN(x)); logits over ``num_classes`` pixel values.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["local_causal_mask", "ImageTransformer"]


def local_causal_mask(height: int, width: int, window: int, kind: str = "1d") -> torch.Tensor:
    """Boolean (N, N) mask, True where query i may attend to key j."""
    expect(kind in ("1d", "2d"), "kind", "'1d' or '2d'", kind)
    expect(window >= 1, "window", "a positive int", window)
    idx = torch.arange(height * width)
    causal = idx[None, :] <= idx[:, None]
    if kind == "1d":
        local = (idx[:, None] - idx[None, :]) < window
    else:
        r, c = idx // width, idx % width
        local = ((r[:, None] - r[None, :]).abs() <= window) & ((c[:, None] - c[None, :]).abs() <= window)
    return causal & local


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)        # (B, h, N, N)
        att = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
        y = (att @ v).transpose(1, 2).reshape(b, n, d)                       # (B, N, d)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x)), att


@syllabus("generative.image_transformer")
class ImageTransformer(nn.Module):
    def __init__(self, height: int, width: int, num_classes: int = 2, dim: int = 32, heads: int = 2,
                 num_layers: int = 2, window: int = 16, kind: str = "1d"):
        super().__init__()
        expect(dim % heads == 0, "dim", f"a multiple of heads={heads}", dim)
        self.height, self.width, self.num_classes = height, width, num_classes
        self.embed = nn.Embedding(num_classes + 1, dim)
        self.pos = nn.Parameter(torch.randn(height * width, dim) * 0.02)
        self.blocks = nn.ModuleList(_Block(dim, heads) for _ in range(num_layers))
        self.ln, self.head = nn.LayerNorm(dim), nn.Linear(dim, num_classes)
        self.register_buffer("mask", local_causal_mask(height, width, window, kind))

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        """x (B, 1, H, W) integer levels -> logits (B, K, H, W) (and the per-layer attention)."""
        expect(x.dim() == 4 and x.shape[2:] == (self.height, self.width), "x",
               f"(B, 1, {self.height}, {self.width})", tuple(x.shape))
        b = x.shape[0]
        seq = x.reshape(b, -1).long()                                         # (B, N)
        start = torch.full((b, 1), self.num_classes, dtype=torch.long)
        h = self.embed(torch.cat([start, seq[:, :-1]], 1)) + self.pos         # (B, N, d)
        atts = []
        for block in self.blocks:
            h, att = block(h, self.mask)
            atts.append(att)
        logits = self.head(self.ln(h)).transpose(1, 2).reshape(b, self.num_classes, self.height, self.width)
        return (logits, atts) if return_attention else logits

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(x), x[:, 0].long(), reduction="none").flatten(1).sum(1)
