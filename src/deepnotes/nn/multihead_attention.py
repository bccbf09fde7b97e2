"""Multi-head attention with torch.nn.MultiheadAttention's arguments and parameters; also cross
attention (queries from one sequence, keys and values from another).

Syllabus: transformers_nlp.multi_head_attention, transformers_nlp.cross_attention.
Notes: 000 L4.16, L5.15; 001 S18.12-13; 002 §6.7g, §6.7j; 003 L7.15, L12D.14.

For h heads of size d_h = d/h, with per-head projections W_q^r, W_k^r, W_v^r (rows of
``in_proj_weight``):

    head_r = softmax(Q W_q^r (K W_k^r)^T / sqrt(d_h)) V W_v^r        (.., T_q, d_h)
    Y = concat(head_1 .. head_h) W_O^T + b_O                          (.., T_q, d)

In cross attention the queries come from the decoder and the keys/values from the encoder, so
T_q and T_k may differ. Masks follow torch.nn.MultiheadAttention: ``attn_mask`` True (bool) =
NOT allowed or a float added to the scores, ``key_padding_mask`` (B, S) True = padding. A query
with every key masked outputs 0 (torch gives NaN there).

Notes' differences: 003 projects the values with the shared v_j instead of a per-head v^r_j
and scales by sqrt(d) instead of sqrt(d_head). Standard form here; equal to
torch.nn.MultiheadAttention with copied weights (tests/nn/test_multihead_attention.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .attention import causal_mask, scaled_dot_product_attention

__all__ = ["MultiheadAttention"]


@syllabus("transformers_nlp.multi_head_attention", "transformers_nlp.cross_attention")
class MultiheadAttention(nn.Module):
    """Multi-head (self or cross) attention; ``fast=True`` uses the fused SDPA kernel."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None,
                 *, fast: bool = False):
        super().__init__()
        expect(embed_dim % num_heads == 0, "num_heads", f"a divisor of embed_dim={embed_dim}", num_heads)
        expect(not add_bias_kv and not add_zero_attn, "add_bias_kv/add_zero_attn", "False (not implemented)",
               (add_bias_kv, add_zero_attn))
        kw = dict(device=device, dtype=dtype)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first, self.fast = dropout, batch_first, fast
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **kw))  # (3E, E)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = nn.Parameter(torch.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = nn.Parameter(torch.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = nn.Parameter(torch.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **kw)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **kw)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            nn.init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                nn.init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            wq, wk, wv = self.in_proj_weight.split(E)
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        bq, bk, bv = self.in_proj_bias.split(E) if self.in_proj_bias is not None else (None, None, None)
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None,
                average_attn_weights: bool = True, is_causal: bool = False):
        expect(query.dim() in (2, 3), "query", "a (L, E), (L, B, E) or (B, L, E) tensor", tuple(query.shape))
        unbatched = query.dim() == 2
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        B, L, _ = query.shape                                           # (B, L, E) from here on
        S = key.shape[1]
        expect(query.shape[-1] == self.embed_dim, "query", f"last dimension {self.embed_dim}", tuple(query.shape))
        expect(key.shape[:2] == value.shape[:2], "value", f"batch and length {tuple(key.shape[:2])} (the key's)",
               tuple(value.shape))
        expect(key.shape[0] == B, "key", f"batch size {B} (the query's)", tuple(key.shape))
        q, k, v = self._project(query, key, value)
        h, dh = self.num_heads, self.head_dim
        q = q.view(B, L, h, dh).transpose(1, 2)                         # (B, h, L, dh)
        k = k.view(B, S, h, dh).transpose(1, 2)                         # (B, h, S, dh)
        v = v.view(B, S, h, dh).transpose(1, 2)                         # (B, h, S, dh)

        mask = None                                                     # float, added to scores
        if is_causal and attn_mask is None:
            attn_mask = ~causal_mask(L, S, device=query.device)
        if attn_mask is not None:
            expect(attn_mask.shape[-2:] == (L, S), "attn_mask", f"shape (L, S)=({L}, {S}) or (B*h, L, S)",
                   tuple(attn_mask.shape))
            m = attn_mask.view(B, h, L, S) if attn_mask.dim() == 3 else attn_mask
            mask = torch.zeros_like(m, dtype=q.dtype).masked_fill(m, float("-inf")) if m.dtype == torch.bool else m
        if key_padding_mask is not None:
            expect(tuple(key_padding_mask.shape) == (B, S), "key_padding_mask", f"shape (B, S)=({B}, {S})",
                   tuple(key_padding_mask.shape))
            kpm = key_padding_mask.view(B, 1, 1, S)
            kpm = torch.zeros_like(kpm, dtype=q.dtype).masked_fill(kpm, float("-inf")) if kpm.dtype == torch.bool else kpm
            mask = kpm if mask is None else mask + kpm
        if mask is not None:
            mask = mask.expand(B, h, L, S)
            empty = torch.isneginf(mask).all(-1, keepdim=True)          # rows with nothing visible
            mask = mask.masked_fill(empty, 0.0)
        p = self.dropout if self.training else 0.0
        weights = None
        if self.fast and not need_weights:
            y = scaled_dot_product_attention(q, k, v, mask, p, fast=True)       # (B, h, L, dh)
        else:
            y, weights = scaled_dot_product_attention(q, k, v, mask, p, need_weights=True)
        if mask is not None:
            y = y.masked_fill(empty, 0.0)
            weights = None if weights is None else weights.masked_fill(empty, 0.0)
        y = self.out_proj(y.transpose(1, 2).reshape(B, L, self.embed_dim))    # (B, L, E)
        if unbatched:
            y = y.squeeze(0)
        elif not self.batch_first:
            y = y.transpose(0, 1)                                       # (L, B, E)
        if not need_weights:
            return y, None
        if average_attn_weights:
            weights = weights.mean(1)                                   # (B, L, S)
        return y, (weights.squeeze(0) if unbatched else weights)
