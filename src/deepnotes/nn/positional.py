"""Positional information for attention models: sinusoidal encoding, learned position
embeddings and simple position features (integer index, one-hot), added or concatenated.

Syllabus: transformers_nlp.sinusoidal_positional_encoding,
transformers_nlp.learned_positional_embedding, transformers_nlp.simple_position_features.
Notes: 000 L4.17; 001 S18.17; 002 §6.7b-e; 003 L7.23-L7.26.

Sinusoidal (Vaswani et al.), for i = 0 .. d/2 - 1 and angular frequency w_i = 10000^(-2i/d):

    PE(t, 2i) = sin(w_i t),   PE(t, 2i+1) = cos(w_i t)

Each (sin, cos) pair rotates by the angle w_i k when t -> t + k, so PE(t + k) = R_k PE(t) with
a block-rotation R_k that does not depend on t. Learned: a trainable table P (T_max, d),
x_t <- emb(x_t) + P_t; positions >= T_max are an error. Simple features: [x_t; t] (grows
without bound), [x_t; onehot(t)], or any encoding combined by concatenation (d_x + d_p) or
addition (d stays).

Notes' differences: 002 indexes i from 1; 003 uses sin only (w_k = 1/10000^(k/d)) and writes
sin(w_d)t. The standard interleaved sin/cos form is implemented.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["sinusoidal_encoding", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding",
           "position_features", "PositionFeatures"]


@syllabus("transformers_nlp.sinusoidal_positional_encoding")
def sinusoidal_encoding(length: int, d_model: int, base: float = 10000.0, dtype=torch.float32,
                        device=None) -> Tensor:
    """(length, d_model) table with PE[t, 2i] = sin(t w_i), PE[t, 2i+1] = cos(t w_i)."""
    expect(d_model % 2 == 0, "d_model", "an even int", d_model)
    t = torch.arange(length, dtype=torch.float64, device=device).unsqueeze(1)               # (T, 1)
    w = torch.exp(-math.log(base) * torch.arange(0, d_model, 2, dtype=torch.float64, device=device) / d_model)
    pe = torch.empty(length, d_model, dtype=torch.float64, device=device)
    pe[:, 0::2] = torch.sin(t * w)                                                          # (T, d/2)
    pe[:, 1::2] = torch.cos(t * w)
    return pe.to(dtype)


@syllabus("transformers_nlp.sinusoidal_positional_encoding")
class SinusoidalPositionalEncoding(nn.Module):
    """x + PE[:T] for x (B, T, d) (batch first); works at any length (table grows on demand)."""

    def __init__(self, d_model: int, max_len: int = 512, dropout: float = 0.0):
        super().__init__()
        self.d_model = d_model
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        expect(x.shape[-1] == self.d_model, "x", f"last dimension {self.d_model}", tuple(x.shape))
        T = x.shape[-2]
        pe = self.pe if T <= self.pe.shape[0] else sinusoidal_encoding(T, self.d_model, device=x.device)
        return self.dropout(x + pe[:T].to(x.dtype))


@syllabus("transformers_nlp.learned_positional_embedding")
class LearnedPositionalEmbedding(nn.Module):
    """x + P[:T] with a trainable table P (max_len, d); longer inputs are an error."""

    def __init__(self, max_len: int, d_model: int, device=None, dtype=None):
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.empty(max_len, d_model, device=device, dtype=dtype))  # (T_max, d)
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        T = x.shape[-2]
        expect(T <= self.max_len, "x", f"a sequence of at most max_len={self.max_len} positions", T)
        return x + self.weight[:T]


@syllabus("transformers_nlp.simple_position_features")
def position_features(length: int, kind: str = "index", max_len: int | None = None,
                      dtype=torch.float32, device=None) -> Tensor:
    """(length, p) features: 'index' -> [[t]] (p = 1), 'onehot' -> e_t (p = max_len)."""
    t = torch.arange(length, device=device)
    if kind == "index":
        return t.to(dtype).unsqueeze(1)
    expect(kind == "onehot", "kind", "'index' or 'onehot'", kind)
    max_len = length if max_len is None else max_len
    expect(length <= max_len, "length", f"at most max_len={max_len} for one-hot positions", length)
    return torch.nn.functional.one_hot(t, max_len).to(dtype)


@syllabus("transformers_nlp.simple_position_features")
class PositionFeatures(nn.Module):
    """Combine x (B, T, d) with position features by 'concat' ([x; p], d + p) or 'add' (d).

    ``kind`` is 'index', 'onehot' or 'sinusoidal'; addition needs p == d (sinusoidal, or
    one-hot with max_len == d).
    """

    def __init__(self, d_model: int, kind: str = "index", combine: str = "concat", max_len: int = 64):
        super().__init__()
        expect(kind in ("index", "onehot", "sinusoidal"), "kind", "'index', 'onehot' or 'sinusoidal'", kind)
        expect(combine in ("concat", "add"), "combine", "'concat' or 'add'", combine)
        self.d_model, self.kind, self.combine, self.max_len = d_model, kind, combine, max_len

    @property
    def feature_dim(self) -> int:
        return {"index": 1, "onehot": self.max_len, "sinusoidal": self.d_model}[self.kind]

    def forward(self, x: Tensor) -> Tensor:
        B, T, d = x.shape
        if self.kind == "sinusoidal":
            p = sinusoidal_encoding(T, self.d_model, dtype=x.dtype, device=x.device)
        else:
            p = position_features(T, self.kind, self.max_len, x.dtype, x.device)       # (T, p)
        if self.combine == "add":
            expect(p.shape[-1] == d, "combine", f"'concat' (features of size {p.shape[-1]} != d={d})", "add")
            return x + p
        return torch.cat([x, p.expand(B, T, p.shape[-1])], -1)                           # (B, T, d + p)
