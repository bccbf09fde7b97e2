"""Sequence-to-sequence-to-sequence autoencoder: a document is compressed into a shorter sequence
of vocabulary tokens (a "summary") and reconstructed from it.

Syllabus: generative.seq2seq2seq_ae. Notes: 000 L8.11.

    h = GRU_enc(x_1..x_T)
    summary tokens y_1..y_L (L < T): y_l = GumbelSoftmax_hard(W s_l), s_l = GRU_sum(emb(y_{l-1}), s_{l-1}), s_0 = h
    reconstruction: p(x_t | x_<t, y) from a GRU decoder initialised by GRU_read(emb(y_1..y_L))
    loss = -sum_t log p(x_t | x_<t, y)
The one-hot summary tokens are exact in the forward pass; the straight-through Gumbel-softmax
carries gradients back into the encoder. The notes add a discriminator that keeps the summary
human-readable (it needs a corpus of real summaries); ``readability`` is left to the caller as an
extra loss on ``summary_probs`` and is not part of this module.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .discrete_latent_ae import gumbel_softmax_sample

__all__ = ["Seq2Seq2SeqAutoencoder"]


@syllabus("generative.seq2seq2seq_ae")
class Seq2Seq2SeqAutoencoder(nn.Module):
    def __init__(self, vocab_size: int, summary_length: int, hidden: int = 64, tau: float = 1.0,
                 generator: torch.Generator | None = None):
        super().__init__()
        expect(summary_length >= 1, "summary_length", "a positive int", summary_length)
        self.vocab_size, self.summary_length, self.tau, self.noise_generator = vocab_size, summary_length, tau, generator
        self.embed = nn.Embedding(vocab_size + 1, hidden)                     # + BOS
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.summarizer = nn.GRUCell(hidden, hidden)
        self.to_token = nn.Linear(hidden, vocab_size)
        self.reader = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def summarize(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T) token ids -> one-hot summary (B, L, V), straight-through."""
        expect(x.dim() == 2 and x.shape[1] > self.summary_length, "x",
               f"(B, T) with T > summary_length={self.summary_length}", tuple(x.shape))
        _, h = self.encoder(self.embed(x))                                    # (1, B, H)
        s = h[0]
        inp = self.embed.weight[self.vocab_size].expand(len(x), -1)          # BOS embedding (B, H)
        tokens = []
        for _ in range(self.summary_length):
            s = self.summarizer(inp, s)
            logits = self.to_token(s)                                         # (B, V)
            if self.training:
                y = gumbel_softmax_sample(logits, self.tau, hard=True, generator=self.noise_generator)
            else:
                y = F.one_hot(logits.argmax(-1), self.vocab_size).to(logits.dtype)
            tokens.append(y)                                                  # (B, V)
            inp = y @ self.embed.weight[: self.vocab_size]                    # (B, H)
        return torch.stack(tokens, 1)                                         # (B, L, V)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (reconstruction logits (B, T, V), summary one-hots (B, L, V))."""
        y = self.summarize(x)
        _, r = self.reader(y @ self.embed.weight[: self.vocab_size])          # (1, B, H)
        bos = torch.full((len(x), 1), self.vocab_size, dtype=torch.long)
        dec_in = self.embed(torch.cat([bos, x[:, :-1]], 1))                   # (B, T, H) teacher forcing
        h, _ = self.decoder(dec_in, r)
        return self.out(h), y

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        logits, _ = self(x)
        return F.cross_entropy(logits.transpose(1, 2), x)
