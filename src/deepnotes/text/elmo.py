"""ELMo: a bidirectional LSTM language model whose layers are mixed into contextual word vectors.

Syllabus: transformers_nlp.elmo. Notes: 002 §6.9a-b; 003 L8.15-L8.16; 000 L7.16.

A forward LSTM LM predicts w_{t+1} from w_<=t and a separate backward LSTM LM predicts w_{t-1}
from w_>=t (shared token embedding and softmax). Layer 0 is the token embedding (duplicated to
[x_t; x_t]); layer l is [h_fwd_{t,l}; h_bwd_{t,l}]. Downstream, with task-learned gamma and w:

    ELMo_t = gamma sum_l softmax(w)_l [h_fwd_{t,l}; h_bwd_{t,l}]

which is concatenated to the task model's input. The same word gets different vectors in
different contexts ('Fish fish fish').
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.embedding import Embedding
from ..nn.lstm import LSTM

__all__ = ["BiLM", "ScalarMix"]


@syllabus("transformers_nlp.elmo")
class BiLM(nn.Module):
    """Forward and backward multi-layer LSTM LMs over token ids (batch first)."""

    def __init__(self, vocab_size: int, emb_dim: int = 64, hidden_size: int = 64, num_layers: int = 2):
        super().__init__()
        expect(emb_dim == hidden_size, "hidden_size", f"equal to emb_dim={emb_dim} (layers are stacked)", hidden_size)
        self.embed = Embedding(vocab_size, emb_dim)
        with torch.no_grad():
            self.embed.weight.mul_(0.1)
        self.fwd = nn.ModuleList(LSTM(emb_dim, hidden_size, batch_first=True, fast=True) for _ in range(num_layers))
        self.bwd = nn.ModuleList(LSTM(emb_dim, hidden_size, batch_first=True, fast=True) for _ in range(num_layers))
        self.softmax = nn.Linear(hidden_size, vocab_size)
        self.num_layers = num_layers

    def layers(self, ids: Tensor) -> list[Tensor]:
        """[layer 0, .., layer L], each (B, T, 2 d)."""
        x = self.embed(ids)                                         # (B, T, d)
        out = [torch.cat([x, x], -1)]
        f, b = x, x.flip(1)
        for lf, lb in zip(self.fwd, self.bwd):
            f = lf(f)[0]
            b = lb(b)[0]
            out.append(torch.cat([f, b.flip(1)], -1))
        return out

    def lm_loss(self, ids: Tensor) -> Tensor:
        """Mean of the forward (next token) and backward (previous token) cross-entropies."""
        top = self.layers(ids)[-1]
        d = top.shape[-1] // 2
        fwd, bwd = top[..., :d], top[..., d:]
        V = self.softmax.out_features
        lf = F.cross_entropy(self.softmax(fwd[:, :-1]).reshape(-1, V), ids[:, 1:].reshape(-1))
        lb = F.cross_entropy(self.softmax(bwd[:, 1:]).reshape(-1, V), ids[:, :-1].reshape(-1))
        return (lf + lb) / 2


@syllabus("transformers_nlp.elmo")
class ScalarMix(nn.Module):
    """gamma * sum_l softmax(w)_l layer_l, with w and gamma learned by the downstream task."""

    def __init__(self, num_layers: int):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(num_layers))
        self.gamma = nn.Parameter(torch.ones(()))

    @property
    def weights(self) -> Tensor:
        return torch.softmax(self.w, 0)

    def forward(self, layers: list[Tensor]) -> Tensor:
        expect(len(layers) == self.w.shape[0], "layers", f"{self.w.shape[0]} layer outputs", len(layers))
        return self.gamma * sum(a * h for a, h in zip(self.weights, layers))
