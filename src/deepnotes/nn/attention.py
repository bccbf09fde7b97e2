"""Attention: scaled dot-product attention (manual and fused), masks, basic self-attention,
additive (Bahdanau), dot/bilinear (Luong), location-aware attention and image self-attention.

Syllabus: transformers_nlp.scaled_dot_product_attention, transformers_nlp.basic_self_attention,
transformers_nlp.permutation_equivariance, transformers_nlp.attention_masks,
transformers_nlp.causal_mask, transformers_nlp.local_attention,
transformers_nlp.image_self_attention, sequences.additive_attention,
sequences.multiplicative_attention, sequences.location_aware_attention.
Notes: 000 L4.09-L4.21, L5.12, L5.21; 001 S18.05-07, S18.14; 002 §6.5b-f, §6.6a-b, §6.7i;
003 L7.09-L7.17, L8.23.

Scaled dot-product attention for queries Q (.., Tq, d_k), keys K (.., Tk, d_k), values V:

    A = softmax_j(Q K^T / sqrt(d_k) + mask),   Y = A V           (rows of A sum to 1)

A boolean mask is True where a query may attend (torch's SDPA convention); masked scores are
-inf before the softmax. A query whose every key is masked gets weights 0 and output 0 (never
NaN). Causal: key j visible to query i iff j <= i. Local: iff |i - j| <= w. Basic
self-attention (003) uses X itself as query, key and value with no scaling. Without positions,
attention is permutation-equivariant: Att(PX) = P Att(X).

Scores used by RNN encoder-decoders (query s_l from the decoder, keys h_t from the encoder):
    additive   e_{l,t} = v^T tanh(W_1 h_t + W_2 s_l)                 (Bahdanau)
    dot        e_{l,t} = h_t . s_l;   bilinear  e_{l,t} = h_t^T W_e s_l   (Luong)
    location   e_{l,t} = v^T tanh(W s_l + V h_t + U f_t + b),  f = F * alpha_{l-1}  (Chorowski)

Notes' differences: 000 omits the 1/sqrt(d) and writes A = K^T Q with a column softmax (same
thing transposed); 002 writes the query as q(s_t); 001 omits v^T in the additive score (tanh of
a vector is not a score); 003 concatenates [h; s] (equivalent to W_1 h + W_2 s); 000 writes the
causal mask as j < i, the standard mask includes j = i.

``fast=True`` uses ``torch.nn.functional.scaled_dot_product_attention`` for the same maths;
tests/nn/test_attention.py shows both agree with it.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["scaled_dot_product_attention", "basic_self_attention", "causal_mask", "padding_mask",
           "local_mask", "AdditiveAttention", "BilinearAttention", "DotProductAttention",
           "LocationAwareAttention", "ImageSelfAttention", "image_local_mask", "sliding_window_attention"]


@syllabus("transformers_nlp.causal_mask")
def causal_mask(T: int, S: int | None = None, device=None) -> Tensor:
    """(T, S) bool, True where query i may see key j, i.e. j <= i."""
    S = T if S is None else S
    return torch.ones(T, S, dtype=torch.bool, device=device).tril()


@syllabus("transformers_nlp.attention_masks")
def padding_mask(lengths: Tensor, T: int | None = None) -> Tensor:
    """(B, T) bool, True at real tokens (position < length), False at padding."""
    expect(lengths.dim() == 1, "lengths", "a 1-D tensor of sequence lengths", tuple(lengths.shape))
    T = int(lengths.max()) if T is None else T
    expect(int(lengths.max()) <= T, "lengths", f"every length <= T={T}", lengths.tolist())
    return torch.arange(T, device=lengths.device) < lengths.unsqueeze(1)


@syllabus("transformers_nlp.local_attention")
def local_mask(T: int, window: int, S: int | None = None, device=None) -> Tensor:
    """(T, S) bool band: True where |i - j| <= window."""
    expect(window >= 0, "window", "a non-negative int", window)
    S = T if S is None else S
    i = torch.arange(T, device=device).unsqueeze(1)
    j = torch.arange(S, device=device).unsqueeze(0)
    return (i - j).abs() <= window


@syllabus("transformers_nlp.scaled_dot_product_attention", "transformers_nlp.attention_masks",
          "transformers_nlp.permutation_equivariance")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None, *,
                                 fast: bool = False, need_weights: bool = False,
                                 generator: torch.Generator | None = None):
    """softmax(Q K^T * scale + mask) V with torch's argument names.

    query (.., Tq, E), key (.., Tk, E), value (.., Tk, Ev). ``attn_mask``: bool (True = attend)
    or float (added to the scores), broadcastable to (.., Tq, Tk). Returns Y (.., Tq, Ev), and
    also A (.., Tq, Tk) when ``need_weights`` (manual path only).
    """
    expect(query.shape[-1] == key.shape[-1], "key", f"last dimension {query.shape[-1]} (the query's)",
           tuple(key.shape))
    expect(key.shape[-2] == value.shape[-2], "value", f"length {key.shape[-2]} (the key's)", tuple(value.shape))
    Tq, Tk = query.shape[-2], key.shape[-2]
    if attn_mask is not None:
        expect(attn_mask.shape[-2:] in ((Tq, Tk), (1, Tk), (Tq, 1), (1, 1)) or attn_mask.dim() < 2,
               "attn_mask", f"a mask broadcastable to (..., {Tq}, {Tk})", tuple(attn_mask.shape))
    if is_causal:
        expect(attn_mask is None, "attn_mask", "None when is_causal=True", "a mask")
        attn_mask = causal_mask(Tq, Tk, device=query.device)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    empty = None
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        empty = ~attn_mask.any(-1, keepdim=True)                      # (.., Tq, 1) fully masked rows
    if fast and not need_weights:
        mask = attn_mask
        if empty is not None and bool(empty.any()):                   # keep the kernel finite
            mask = attn_mask | empty
        y = F.scaled_dot_product_attention(query, key, value, attn_mask=mask,
                                           dropout_p=dropout_p, scale=scale)
        return y.masked_fill(empty, 0.0) if empty is not None else y
    scores = (query @ key.transpose(-2, -1)) * scale                  # (.., Tq, Tk)
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = torch.softmax(scores, -1)                               # rows sum to 1
    if empty is not None:
        weights = weights.masked_fill(empty, 0.0)                     # all-masked row: zeros, not NaN
    if dropout_p > 0:
        keep = torch.rand(weights.shape, generator=generator, device=weights.device) >= dropout_p
        weights = weights * keep / (1 - dropout_p)
    y = weights @ value                                               # (.., Tq, Ev)
    return (y, weights) if need_weights else y


@syllabus("transformers_nlp.basic_self_attention", "transformers_nlp.permutation_equivariance")
def basic_self_attention(x: Tensor, attn_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """003's parameter-free self-attention: w_ij = x_i . x_j, W = softmax_j(w), y_i = sum_j W_ij x_j.

    x (.., T, d); returns (y (.., T, d), W (.., T, T)).
    """
    return scaled_dot_product_attention(x, x, x, attn_mask, scale=1.0, need_weights=True)


@syllabus("transformers_nlp.local_attention")
def sliding_window_attention(query: Tensor, key: Tensor, value: Tensor, window: int,
                             scale: float | None = None) -> Tensor:
    """Self-attention restricted to |i - j| <= window in O(T w) time and memory.

    query, key (.., T, E), value (.., T, Ev): each query gathers only its 2w+1 neighbours
    (keys beyond the ends are masked), instead of scoring all T keys.
    """
    expect(window >= 0, "window", "a non-negative int", window)
    T = query.shape[-2]
    expect(key.shape[-2] == T and value.shape[-2] == T, "key/value", f"length {T} (self-attention)",
           (tuple(key.shape), tuple(value.shape)))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    W = 2 * window + 1
    kp = F.pad(key, (0, 0, window, window)).unfold(-2, W, 1)         # (.., T, E, W) neighbours of each i
    vp = F.pad(value, (0, 0, window, window)).unfold(-2, W, 1)       # (.., T, Ev, W)
    scores = torch.einsum("...te,...tew->...tw", query, kp) * scale  # (.., T, W)
    j = torch.arange(T, device=query.device).unsqueeze(1) + torch.arange(W, device=query.device) - window
    scores = scores.masked_fill((j < 0) | (j >= T), float("-inf"))   # padding outside the sequence
    return torch.einsum("...tw,...tew->...te", torch.softmax(scores, -1), vp)


def _masked_softmax(e: Tensor, mask: Tensor | None) -> Tensor:
    if mask is not None:
        expect(mask.shape == e.shape, "mask", f"shape (B, T) = {tuple(e.shape)} like the keys", tuple(mask.shape))
        e = e.masked_fill(~mask, float("-inf"))
    a = torch.softmax(e, -1)
    return torch.nan_to_num(a, nan=0.0)


@syllabus("sequences.additive_attention")
class AdditiveAttention(nn.Module):
    """Bahdanau attention: e_t = v^T tanh(W_1 h_t + W_2 s), alpha = softmax_t e, c = sum alpha_t h_t.

    forward(query (B, Dq), keys (B, T, Dk), mask (B, T) True at real positions)
    -> context (B, Dk), weights (B, T).
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.key_proj = nn.Linear(key_dim, hidden_dim, bias=False, **kw)    # W_1
        self.query_proj = nn.Linear(query_dim, hidden_dim, bias=True, **kw)  # W_2 (+ b)
        self.v = nn.Linear(hidden_dim, 1, bias=False, **kw)                  # v^T

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return self.v(torch.tanh(self.key_proj(keys) + self.query_proj(query).unsqueeze(1))).squeeze(-1)  # (B, T)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        expect(keys.dim() == 3 and query.shape[0] == keys.shape[0], "keys", "(B, T, Dk) with the query's batch",
               tuple(keys.shape))
        a = _masked_softmax(self.score(query, keys), mask)               # (B, T)
        return torch.einsum("bt,btd->bd", a, keys), a


@syllabus("sequences.multiplicative_attention")
class BilinearAttention(nn.Module):
    """Luong 'general' score e_t = h_t^T W_e s, alpha = softmax_t e; optional value map v(h_t).

    With ``weight = I`` (and no value map) it is plain dot-product attention.
    """

    def __init__(self, query_dim: int, key_dim: int, value_map: bool = False, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(key_dim, query_dim, device=device, dtype=dtype))  # W_e (Dk, Dq)
        nn.init.xavier_uniform_(self.weight)
        self.value = nn.Linear(key_dim, key_dim, device=device, dtype=dtype) if value_map else None

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        e = torch.einsum("btk,kq,bq->bt", keys, self.weight, query)     # (B, T)
        a = _masked_softmax(e, mask)
        vals = keys if self.value is None else self.value(keys)
        return torch.einsum("bt,btd->bd", a, vals), a


@syllabus("sequences.multiplicative_attention")
class DotProductAttention(nn.Module):
    """Luong 'dot' score e_t = h_t . s (query and keys of equal size), no parameters."""

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        expect(query.shape[-1] == keys.shape[-1], "query", f"last dimension {keys.shape[-1]}", tuple(query.shape))
        a = _masked_softmax(torch.einsum("btd,bd->bt", keys, query), mask)  # (B, T)
        return torch.einsum("bt,btd->bd", a, keys), a


@syllabus("sequences.location_aware_attention")
class LocationAwareAttention(nn.Module):
    """e_t = v^T tanh(W s + V h_t + U f_t + b), f = conv1d(alpha_prev) with ``channels`` filters.

    forward(query (B, Dq), keys (B, T, Dk), prev_weights (B, T), mask) -> context, weights.
    The convolution pads symmetrically, so shifting alpha_prev shifts f with it.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int, channels: int = 8,
                 kernel_size: int = 7, device=None, dtype=None):
        super().__init__()
        expect(kernel_size % 2 == 1, "kernel_size", "an odd int", kernel_size)
        kw = dict(device=device, dtype=dtype)
        self.query_proj = nn.Linear(query_dim, hidden_dim, bias=True, **kw)     # W, b
        self.key_proj = nn.Linear(key_dim, hidden_dim, bias=False, **kw)        # V
        self.location_conv = nn.Conv1d(1, channels, kernel_size, padding=kernel_size // 2, bias=False, **kw)  # F
        self.location_proj = nn.Linear(channels, hidden_dim, bias=False, **kw)  # U
        self.v = nn.Linear(hidden_dim, 1, bias=False, **kw)

    def location_features(self, prev_weights: Tensor) -> Tensor:
        return self.location_conv(prev_weights.unsqueeze(1)).transpose(1, 2)   # (B, T, channels)

    def forward(self, query: Tensor, keys: Tensor, prev_weights: Tensor,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        expect(prev_weights.shape == keys.shape[:2], "prev_weights", f"shape {tuple(keys.shape[:2])}",
               tuple(prev_weights.shape))
        f = self.location_proj(self.location_features(prev_weights))           # (B, T, Hd)
        e = self.v(torch.tanh(self.query_proj(query).unsqueeze(1) + self.key_proj(keys) + f)).squeeze(-1)
        a = _masked_softmax(e, mask)                                             # (B, T)
        return torch.einsum("bt,btd->bd", a, keys), a


@syllabus("transformers_nlp.image_self_attention")
def image_local_mask(H: int, W: int, radius: int, device=None) -> Tensor:
    """(HW, HW) bool: pixel p may attend to q iff both row and column differ by <= radius."""
    r = torch.arange(H, device=device).repeat_interleave(W)
    c = torch.arange(W, device=device).repeat(H)
    return ((r[:, None] - r[None]).abs() <= radius) & ((c[:, None] - c[None]).abs() <= radius)


@syllabus("transformers_nlp.image_self_attention")
class ImageSelfAttention(nn.Module):
    """Self-attention over the H*W pixels of a (B, C, H, W) map (C-dim tokens), residual-free.

    Q, K, V are 1x1 projections; ``radius`` restricts each pixel to its (2r+1)^2 neighbourhood.
    Output has the input's shape.
    """

    def __init__(self, channels: int, radius: int | None = None, device=None, dtype=None):
        super().__init__()
        self.qkv = nn.Linear(channels, 3 * channels, device=device, dtype=dtype)
        self.radius = radius

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a (B, C, H, W) feature map", tuple(x.shape))
        B, C, H, W = x.shape
        tokens = x.flatten(2).transpose(1, 2)                           # (B, HW, C)
        q, k, v = self.qkv(tokens).chunk(3, -1)                         # each (B, HW, C)
        mask = None if self.radius is None else image_local_mask(H, W, self.radius, x.device)
        y = scaled_dot_product_attention(q, k, v, mask)                 # (B, HW, C)
        return y.transpose(1, 2).reshape(B, C, H, W)
