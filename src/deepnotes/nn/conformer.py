"""Conformer block (Gulati et al.): macaron feed-forwards around self-attention with relative
positions and a convolution module.

Syllabus: transformers_nlp.conformer. Notes: 000 L4.23.

    x <- x + 1/2 FFN(x)                          FFN = LN, Linear(d, 4d), swish, Linear(4d, d)
    x <- x + MHSA_rel(LN(x))                     relative position bias b_h(clip(j - i))
    x <- x + Conv(x)                             LN, pointwise (d -> 2d), GLU, depthwise k,
                                                 BatchNorm, swish, pointwise (d -> d)
    x <- x + 1/2 FFN(x)
    y  = LN(x)

Relative positions enter as a learned per-head bias on the attention score for each clipped
offset j - i (a simplification of Transformer-XL's relative encoding used by the paper). The
depthwise convolution pads symmetrically ((k - 1) / 2 each side), so the length is preserved
and the block is not causal.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .attention import scaled_dot_product_attention

__all__ = ["ConformerBlock", "RelativeMultiheadSelfAttention"]


class RelativeMultiheadSelfAttention(nn.Module):
    """Multi-head self-attention with a learned bias per head and clipped relative offset."""

    def __init__(self, d_model: int, nhead: int, max_relative: int = 32, dropout: float = 0.0):
        super().__init__()
        expect(d_model % nhead == 0, "nhead", f"a divisor of d_model={d_model}", nhead)
        self.nhead, self.max_relative = nhead, max_relative
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.rel_bias = nn.Parameter(torch.zeros(nhead, 2 * max_relative + 1))   # (h, 2R+1)
        self.dropout = dropout

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        B, T, d = x.shape
        h = self.nhead
        q, k, v = self.qkv(x).view(B, T, 3, h, d // h).permute(2, 0, 3, 1, 4)    # each (B, h, T, dh)
        pos = torch.arange(T, device=x.device)
        rel = (pos[None] - pos[:, None]).clamp(-self.max_relative, self.max_relative) + self.max_relative
        bias = self.rel_bias[:, rel].unsqueeze(0)                                 # (1, h, T, T)
        if key_padding_mask is not None:                                         # True = padding
            bias = bias.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        y = scaled_dot_product_attention(q, k, v, bias, self.dropout if self.training else 0.0)
        return self.out_proj(y.transpose(1, 2).reshape(B, T, d))                   # (B, T, d)


class _FeedForward(nn.Sequential):
    def __init__(self, d: int, mult: int, dropout: float):
        super().__init__(nn.LayerNorm(d), nn.Linear(d, mult * d), nn.SiLU(), nn.Dropout(dropout),
                         nn.Linear(mult * d, d), nn.Dropout(dropout))


class _ConvModule(nn.Module):
    def __init__(self, d: int, kernel_size: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.pointwise1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise = nn.Conv1d(d, d, kernel_size, padding=(kernel_size - 1) // 2, groups=d)
        self.batch_norm = nn.BatchNorm1d(d)
        self.pointwise2 = nn.Conv1d(d, d, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        y = self.norm(x).transpose(1, 2)                          # (B, d, T)
        y = F.glu(self.pointwise1(y), dim=1)                      # (B, d, T)
        y = F.silu(self.batch_norm(self.depthwise(y)))            # (B, d, T), length kept
        return self.dropout(self.pointwise2(y)).transpose(1, 2)   # (B, T, d)


@syllabus("transformers_nlp.conformer")
class ConformerBlock(nn.Module):
    """One Conformer block on a batch-first (B, T, d_model) sequence; output has the same shape."""

    def __init__(self, d_model: int, nhead: int = 4, ff_mult: int = 4, conv_kernel_size: int = 31,
                 dropout: float = 0.1, max_relative: int = 32):
        super().__init__()
        expect(conv_kernel_size % 2 == 1, "conv_kernel_size", "an odd int (symmetric padding)", conv_kernel_size)
        self.ff1 = _FeedForward(d_model, ff_mult, dropout)
        self.attn_norm = nn.LayerNorm(d_model)
        self.attn = RelativeMultiheadSelfAttention(d_model, nhead, max_relative, dropout)
        self.attn_dropout = nn.Dropout(dropout)
        self.conv = _ConvModule(d_model, conv_kernel_size, dropout)
        self.ff2 = _FeedForward(d_model, ff_mult, dropout)
        self.final_norm = nn.LayerNorm(d_model)

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        expect(x.dim() == 3, "x", "a batch-first (B, T, d_model) tensor", tuple(x.shape))
        x = x + 0.5 * self.ff1(x)
        x = x + self.attn_dropout(self.attn(self.attn_norm(x), key_padding_mask))
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.final_norm(x)
