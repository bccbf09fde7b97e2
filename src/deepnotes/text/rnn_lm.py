"""Recurrent language model: next-token prediction with an RNN/LSTM/GRU over embeddings.

Syllabus: sequences.rnn_language_model. Notes: 001 S17.01; 002 §6.3a; 003 L7.01, L8.17.

    h_t = cell(emb(w_t), h_{t-1});   p(w_{t+1} | w_<=t) = softmax(W h_t + b)

trained with the sequence cross-entropy on shifted text (input w_1..w_{T-1}, target
w_2..w_T), and sampled by ancestral decoding (deepnotes.seq2seq.sample_decode).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.embedding import Embedding
from ..nn.gru import GRU
from ..nn.lstm import LSTM
from ..nn.rnn import RNN

__all__ = ["RNNLanguageModel"]

_CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


@syllabus("sequences.rnn_language_model")
class RNNLanguageModel(nn.Module):
    """Embedding -> recurrent layer(s) -> linear to the vocabulary; batch first."""

    def __init__(self, vocab_size: int, emb_dim: int = 64, hidden_size: int = 128, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, fast: bool = True):
        super().__init__()
        expect(cell in _CELLS, "cell", f"one of {sorted(_CELLS)}", cell)
        self.vocab_size = vocab_size
        self.embed = Embedding(vocab_size, emb_dim)
        with torch.no_grad():
            self.embed.weight.mul_(0.1)
        self.rnn = _CELLS[cell](emb_dim, hidden_size, num_layers, batch_first=True, dropout=dropout, fast=fast)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: Tensor, state=None):
        """ids (B, T) -> logits (B, T, V) and the final state (for truncated BPTT)."""
        out, state = self.rnn(self.embed(ids), state)               # (B, T, H)
        return self.head(out), state

    def next_logits(self, prefix: Tensor) -> Tensor:
        """Next-token logits (N, V) for prefixes (N, t): plugs into deepnotes.seq2seq decoders."""
        return self.forward(prefix)[0][:, -1]
