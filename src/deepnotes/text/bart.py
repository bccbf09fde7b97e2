"""BART-style denoising sequence-to-sequence pre-training: a bidirectional (BERT) encoder reads a
corrupted line, a causal Transformer decoder attending to it reconstructs the original.

Syllabus: transformers_nlp.denoising_seq2seq_pretraining. Notes: 000 L7.13.

    x~ = corrupt(x)                     token masking, token deletion or span infilling
                                        (deepnotes.text.denoising), one chosen per line
    H  = Encoder([CLS] x~ [SEP])        (B, S, d), the encoder is a BertModel
    p(x_t | x_<t, x~) = softmax(E s_t)  s_t = Decoder(bos x_<t, H) at position t (causal self-
                                        attention, cross-attention to H); E the token embedding,
                                        shared by encoder input, decoder input and output (BART)
    loss = - 1/N sum_t log p(x_t | x_<t, x~)  over the original tokens and a final [SEP] (end)

After pre-training the decoder is dropped and ``model.encoder.state_dict()`` loads into a
``BertModel`` for fine-tuning, exactly as a BERT checkpoint does. The notes list the five BART
corruptions without a training recipe; sentence permutation and document rotation need
multi-sentence documents and are not used on single lines here.
Tests: tests/text/test_bart.py (decoder causality, loss = torch cross-entropy, encoder
checkpoint loads into BertModel, corruptions keep their contracts, a toy reconstruction is learnt).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn import TransformerDecoder, TransformerDecoderLayer
from .bert import BertConfig, BertModel
from .denoising import span_infilling, token_deletion, token_masking

__all__ = ["BartForDenoising", "bart_corrupt"]

CORRUPTIONS = ("token_masking", "token_deletion", "span_infilling")


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def bart_corrupt(tokens: list, mask, kinds: tuple = CORRUPTIONS, p: float = 0.3,
                 generator: torch.Generator | None = None) -> tuple[list, str]:
    """Corrupt one line by one of ``kinds`` chosen uniformly; returns (corrupted, kind).

    ``p`` is the masking / deletion probability and the span-infilling mask ratio.
    """
    expect(len(kinds) > 0 and all(k in CORRUPTIONS for k in kinds), "kinds",
           f"a non-empty subset of {CORRUPTIONS}", kinds)
    expect(0 <= p <= 1, "p", "a probability", p)
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    kind = kinds[int(torch.randint(0, len(kinds), (), generator=g))]
    if kind == "token_masking":
        return token_masking(tokens, mask, p, generator=g), kind
    if kind == "token_deletion":
        return token_deletion(tokens, p, generator=g)[0], kind
    return span_infilling(tokens, mask, p, generator=g)[0], kind


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
class BartForDenoising(nn.Module):
    """BertModel encoder + causal Transformer decoder; one token embedding shared by the encoder, the
    decoder and the output layer (BART's ``shared``).

    forward(input_ids (B, S), attention_mask (B, S), decoder_input_ids (B, T), labels (B, T) with
    -100 = ignore) -> (logits (B, T, V), loss or None).
    """

    def __init__(self, config: BertConfig, num_decoder_layers: int = 1, max_target_positions: int | None = None):
        super().__init__()
        expect(num_decoder_layers >= 1, "num_decoder_layers", "at least 1", num_decoder_layers)
        c, d = config, config.hidden_size
        self.config = c
        self.encoder = BertModel(c)
        self.embed_tokens = self.encoder.word_embeddings                           # shared, as in BART
        self.embed_positions = nn.Embedding(max_target_positions or c.max_position_embeddings, d)
        self.embed_norm = nn.LayerNorm(d, eps=c.layer_norm_eps)
        layer = TransformerDecoderLayer(d, c.num_attention_heads, c.intermediate_size, c.hidden_dropout_prob,
                                        "gelu", c.layer_norm_eps, batch_first=True, fast=True)
        self.decoder = TransformerDecoder(layer, num_decoder_layers)
        for m in (self.embed_positions, self.decoder):
            m.apply(BertModel._init)

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                decoder_input_ids: Tensor | None = None, labels: Tensor | None = None,
                decoder_attention_mask: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        expect(decoder_input_ids is not None and decoder_input_ids.dim() == 2, "decoder_input_ids",
               "a (B, T) tensor of token ids", None if decoder_input_ids is None else tuple(decoder_input_ids.shape))
        B, T = decoder_input_ids.shape
        expect(decoder_input_ids.shape[0] == input_ids.shape[0], "decoder_input_ids", f"batch size {input_ids.shape[0]}", B)
        expect(T <= self.embed_positions.num_embeddings, "decoder_input_ids",
               f"at most {self.embed_positions.num_embeddings} positions", T)
        memory, _ = self.encoder(input_ids, attention_mask=attention_mask)            # (B, S, d)
        pos = torch.arange(T, device=decoder_input_ids.device)
        y = self.embed_norm(self.embed_tokens(decoder_input_ids) + self.embed_positions(pos))  # (B, T, d)
        causal = torch.triu(torch.full((T, T), float("-inf"), device=y.device), diagonal=1)   # (T, T)
        mem_kpm = None if attention_mask is None else attention_mask == 0            # True = padding
        tgt_kpm = None if decoder_attention_mask is None else decoder_attention_mask == 0
        h = self.decoder(y, memory, tgt_mask=causal, tgt_key_padding_mask=tgt_kpm,
                         memory_key_padding_mask=mem_kpm)                            # (B, T, d)
        logits = h @ self.embed_tokens.weight.T                                      # (B, T, V)
        if labels is None:
            return logits, None
        expect(labels.shape == decoder_input_ids.shape, "labels", f"shape {(B, T)}", tuple(labels.shape))
        return logits, F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
