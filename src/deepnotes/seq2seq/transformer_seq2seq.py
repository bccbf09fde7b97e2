"""Transformer sequence-to-sequence models: the autoregressive encoder-decoder and a
non-autoregressive decoder with length prediction.

Syllabus: transformers_nlp.transformer, transformers_nlp.non_autoregressive_decoder.
Notes: 000 L5.04, L5.14; 001 S18.10; 002 §6.7n; 003 L7.18, L7.20.

Autoregressive (AT): embeddings * sqrt(d) + sinusoidal positions -> deepnotes.nn.Transformer
(causal mask on the target) -> linear to the vocabulary; trained with teacher forcing, decoded
token by token.

Non-autoregressive (NAT): a length classifier reads the mean encoder state and predicts the
output length L; the decoder receives L position queries (learned position embeddings, no
tokens) and emits all L tokens in ONE parallel pass, p(y | x) = prod_l p(y_l | x). Conditionally
independent outputs cannot pick one mode of a multi-modal target, which is why NAT falls
behind AT there.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.attention import causal_mask
from ..nn.embedding import Embedding
from ..nn.positional import sinusoidal_encoding
from ..nn.transformer import Transformer, TransformerDecoder, TransformerDecoderLayer

__all__ = ["TransformerSeq2Seq", "NonAutoregressiveTransformer"]


@syllabus("transformers_nlp.transformer")
class TransformerSeq2Seq(nn.Module):
    """Token-level encoder-decoder Transformer (batch first); ``forward(src, tgt_in) -> logits``."""

    def __init__(self, src_vocab: int, tgt_vocab: int, d_model: int = 64, nhead: int = 4,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, dim_feedforward: int = 128,
                 dropout: float = 0.0, pad: int = 0, bos: int = 1, eos: int = 2, max_len: int = 256):
        super().__init__()
        self.pad, self.bos, self.eos, self.d_model = pad, bos, eos, d_model
        self.src_embed = Embedding(src_vocab, d_model, padding_idx=pad)
        self.tgt_embed = Embedding(tgt_vocab, d_model, padding_idx=pad)
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.transformer = Transformer(d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward,
                                       dropout, batch_first=True, fast=True)
        self.out = nn.Linear(d_model, tgt_vocab)

    def _embed(self, emb: Embedding, ids: Tensor) -> Tensor:
        return emb(ids) + self.pe[: ids.shape[1]]                            # (B, T, d)

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        T = tgt_in.shape[1]
        mask = ~causal_mask(T, device=src.device)                            # True = blocked (torch MHA)
        h = self.transformer(self._embed(self.src_embed, src), self._embed(self.tgt_embed, tgt_in),
                             tgt_mask=mask, src_key_padding_mask=src == self.pad,
                             tgt_key_padding_mask=None, memory_key_padding_mask=src == self.pad)
        return self.out(h)                                                   # (B, T, V)

    def next_logits(self, src: Tensor):
        """A ``prefix -> next-token logits`` function for deepnotes.seq2seq decoders."""
        return lambda prefix: self.forward(src.expand(prefix.shape[0], -1), prefix)[:, -1]


@syllabus("transformers_nlp.non_autoregressive_decoder")
class NonAutoregressiveTransformer(nn.Module):
    """Encoder + length classifier + parallel decoder over position queries."""

    def __init__(self, src_vocab: int, tgt_vocab: int, max_len: int, d_model: int = 64, nhead: int = 4,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, dim_feedforward: int = 128,
                 pad: int = 0):
        super().__init__()
        self.pad, self.max_len, self.d_model = pad, max_len, d_model
        self.src_embed = Embedding(src_vocab, d_model, padding_idx=pad)
        self.register_buffer("pe", sinusoidal_encoding(512, d_model), persistent=False)
        core = Transformer(d_model, nhead, num_encoder_layers, 1, dim_feedforward, 0.0, batch_first=True, fast=True)
        self.encoder = core.encoder
        self.queries = nn.Parameter(torch.randn(max_len, d_model) * 0.1)     # one learned query per position
        self.decoder = TransformerDecoder(TransformerDecoderLayer(d_model, nhead, dim_feedforward, 0.0,
                                                                  batch_first=True, fast=True),
                                          num_decoder_layers, nn.LayerNorm(d_model))
        self.length_head = nn.Linear(d_model, max_len + 1)
        self.out = nn.Linear(d_model, tgt_vocab)

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        kpm = src == self.pad
        mem = self.encoder(self.src_embed(src) + self.pe[: src.shape[1]],
                           src_key_padding_mask=kpm)                          # (B, S, d)
        keep = (~kpm).unsqueeze(-1).to(mem.dtype)
        length_logits = self.length_head((mem * keep).sum(1) / keep.sum(1).clamp_min(1))  # (B, max_len + 1)
        return mem, length_logits

    def forward(self, src: Tensor, length: int | None = None) -> tuple[Tensor, Tensor]:
        """Token logits (B, L, V) for all L positions at once, and length logits (B, max_len + 1)."""
        L = self.max_len if length is None else length
        expect(1 <= L <= self.max_len, "length", f"an int in [1, max_len={self.max_len}]", L)
        mem, length_logits = self.encode(src)
        q = self.queries[:L].expand(src.shape[0], L, self.d_model)           # (B, L, d), no tokens
        h = self.decoder(q, mem, memory_key_padding_mask=src == self.pad)     # no causal mask
        return self.out(h), length_logits

    @torch.no_grad()
    def generate(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """One pass: the argmax token at every position and the predicted lengths (B,)."""
        logits, length_logits = self.forward(src)
        return logits.argmax(-1), length_logits.argmax(-1)
