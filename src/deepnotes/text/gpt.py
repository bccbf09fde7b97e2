"""GPT: a decoder-only causal Transformer language model (GPT-2 layout, nanoGPT style).

Syllabus: transformers_nlp.gpt. Notes: 000 L7.21; 001 S18.20; 002 §6.9l; 003 L8.22.

    x_0 = W_te[w_t] + W_pe[t]                                 learned positions
    x <- x + CausalSelfAttention(LN(x));  x <- x + MLP(LN(x))  pre-LN blocks (GPT-2)
    p(w_{t+1} | w_<=t) = softmax(LN(x) W_te^T)                 output tied to the input embedding

Trained with next-token cross-entropy; generates by sampling (deepnotes.seq2seq.sample_decode).
GPT-2 small: 12 layers, d = 768, 12 heads, BPE vocabulary 50257, 1024 positions:
124,439,808 parameters (HuggingFace's gpt2 count). The causal mask makes the output at t
independent of tokens after t. ``fast=True`` (default) uses the fused SDPA kernel for the same
maths as the manual path.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.attention import scaled_dot_product_attention
from ..seq2seq.decoding import sample_decode

__all__ = ["GPTConfig", "GPT"]


@dataclass
class GPTConfig:
    vocab_size: int = 50257
    block_size: int = 1024
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    fast: bool = True


class _CausalSelfAttention(nn.Module):
    def __init__(self, c: GPTConfig, device=None):
        super().__init__()
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias, device=device)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd, bias=c.bias, device=device)
        self.n_head, self.dropout, self.fast = c.n_head, c.dropout, c.fast

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, 2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        y = scaled_dot_product_attention(q, k, v, is_causal=True, fast=self.fast,
                                         dropout_p=self.dropout if self.training else 0.0)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class _Block(nn.Module):
    def __init__(self, c: GPTConfig, device=None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c.n_embd, bias=c.bias, device=device)
        self.attn = _CausalSelfAttention(c, device)
        self.ln_2 = nn.LayerNorm(c.n_embd, bias=c.bias, device=device)
        self.mlp = nn.Sequential(nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias, device=device), nn.GELU(),
                                 nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias, device=device), nn.Dropout(c.dropout))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


@syllabus("transformers_nlp.gpt")
class GPT(nn.Module):
    """forward(idx (B, T), targets=None) -> (logits (B, T, V), loss or None)."""

    def __init__(self, config: GPTConfig, device=None):
        super().__init__()
        self.config = c = config
        self.wte = nn.Embedding(c.vocab_size, c.n_embd, device=device)
        self.wpe = nn.Embedding(c.block_size, c.n_embd, device=device)
        self.drop = nn.Dropout(c.dropout)
        self.h = nn.ModuleList(_Block(c, device) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.n_embd, bias=c.bias, device=device)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False, device=device)
        self.lm_head.weight = self.wte.weight                          # weight tying
        if device != "meta":
            self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())             # tied weights counted once

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        expect(idx.dim() == 2, "idx", "a (B, T) tensor of token ids", tuple(idx.shape))
        B, T = idx.shape
        expect(T <= self.config.block_size, "idx", f"at most block_size={self.config.block_size} tokens", T)
        expect(int(idx.max()) < self.config.vocab_size and int(idx.min()) >= 0, "idx",
               f"ids in [0, {self.config.vocab_size})", (int(idx.min()), int(idx.max())))
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T, device=idx.device)))   # (B, T, C)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))                             # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    def next_logits(self, prefix: Tensor) -> Tensor:
        return self.forward(prefix[:, -self.config.block_size:])[0][:, -1]

    @torch.no_grad()
    def generate(self, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, generator: torch.Generator | None = None) -> Tensor:
        return sample_decode(self.next_logits, idx, max_new_tokens, temperature, top_k, top_p, generator=generator)
