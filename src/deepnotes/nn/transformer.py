"""The Transformer: position-wise feed-forward, encoder and decoder layers (post-LN or pre-LN),
stacks, and the full encoder-decoder, with torch.nn.Transformer's arguments and parameter names.

Syllabus: transformers_nlp.position_wise_ffn, transformers_nlp.transformer_encoder_block,
transformers_nlp.transformer_decoder_block, transformers_nlp.transformer.
Notes: 000 L5.04-L5.11; 001 S18.10-S18.15; 002 §6.7h, §6.7l-n; 003 L7.18-L7.20.

    FFN(x) = W_2 act(W_1 x + b_1) + b_2, applied at each position independently (d_ff = 4d)
    encoder (post-LN):  x <- LN(x + MHSA(x));  x <- LN(x + FFN(x))
    decoder (post-LN):  x <- LN(x + MaskedMHSA(x));  x <- LN(x + CrossAttn(x, memory));
                        x <- LN(x + FFN(x))
    pre-LN (norm_first=True, GPT-2):  x <- x + MHSA(LN(x)); x <- x + FFN(LN(x))

The layers do not share weights. Transformer() defaults are the paper's base model: 6 + 6
layers, d_model 512, 8 heads (d_k = d_v = 64), d_ff 2048 (44,140,544 parameters in the core
stack, like torch.nn.Transformer()). Embeddings, positional encodings and the output softmax are
added by the model that uses the stack (see deepnotes.seq2seq and deepnotes.text).

Notes' differences: 002 says 'layer norm it, and add it to the hidden state' (order reversed);
003 omits the residual around the MLP. Standard order here; equal to torch.nn.TransformerEncoderLayer
and TransformerDecoderLayer with copied weights (tests/nn/test_transformer.py).
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from .attention import causal_mask
from .multihead_attention import MultiheadAttention

__all__ = ["PositionwiseFeedForward", "TransformerEncoderLayer", "TransformerDecoderLayer",
           "TransformerEncoder", "TransformerDecoder", "Transformer"]

_ACT = {"relu": F.relu, "gelu": F.gelu}


def _activation(name):
    if callable(name):
        return name
    expect(name in _ACT, "activation", f"one of {sorted(_ACT)} or a callable", name)
    return _ACT[name]


@syllabus("transformers_nlp.position_wise_ffn")
class PositionwiseFeedForward(nn.Module):
    """FFN(x) = linear2(dropout(act(linear1(x)))) on the last dimension, position by position."""

    def __init__(self, d_model: int, dim_feedforward: int = 2048, dropout: float = 0.0,
                 activation="relu", bias: bool = True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)   # W_1 (d_ff, d)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)   # W_2 (d, d_ff)
        self.activation = _activation(activation)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))   # (.., T, d)


@syllabus("transformers_nlp.transformer_encoder_block", "transformers_nlp.position_wise_ffn")
class TransformerEncoderLayer(nn.Module):
    """Self-attention + FFN with residuals and LayerNorm (torch.nn.TransformerEncoderLayer's names)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None, *, fast: bool = False):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, fast=fast, **kw)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def _sa(self, x, mask, kpm, is_causal):
        return self.dropout1(self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=kpm,
                                            need_weights=False, is_causal=is_causal)[0])

    def _ff(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff(x))


@syllabus("transformers_nlp.transformer_decoder_block", "transformers_nlp.cross_attention")
class TransformerDecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder memory, FFN (torch's names)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None, *, fast: bool = False):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, fast=fast, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, fast=fast, **kw)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1, self.dropout2, self.dropout3 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.activation = _activation(activation)

    def _sa(self, x, mask, kpm, is_causal):
        return self.dropout1(self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=kpm,
                                            need_weights=False, is_causal=is_causal)[0])

    def _mha(self, x, mem, mask, kpm):
        return self.dropout2(self.multihead_attn(x, mem, mem, attn_mask=mask, key_padding_mask=kpm,
                                                 need_weights=False)[0])

    def _ff(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha(self.norm2(x), memory, memory_mask, memory_key_padding_mask)
            return x + self._ff(self.norm3(x))
        x = self.norm1(x + self._sa(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha(x, memory, memory_mask, memory_key_padding_mask))
        return self.norm3(x + self._ff(x))


@syllabus("transformers_nlp.transformer_encoder_block")
class TransformerEncoder(nn.Module):
    """``num_layers`` independent copies of ``encoder_layer``, then an optional final norm."""

    def __init__(self, encoder_layer: nn.Module, num_layers: int, norm: nn.Module | None = None):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.num_layers, self.norm = num_layers, norm

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        for layer in self.layers:
            src = layer(src, mask, src_key_padding_mask, is_causal)
        return src if self.norm is None else self.norm(src)


@syllabus("transformers_nlp.transformer_decoder_block")
class TransformerDecoder(nn.Module):
    """``num_layers`` independent copies of ``decoder_layer``, then an optional final norm."""

    def __init__(self, decoder_layer: nn.Module, num_layers: int, norm: nn.Module | None = None):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(decoder_layer) for _ in range(num_layers))
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        for layer in self.layers:
            tgt = layer(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                        memory_key_padding_mask, tgt_is_causal)
        return tgt if self.norm is None else self.norm(tgt)


@syllabus("transformers_nlp.transformer")
class Transformer(nn.Module):
    """Encoder-decoder stack with torch.nn.Transformer's defaults and parameter names."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", custom_encoder: nn.Module | None = None,
                 custom_decoder: nn.Module | None = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None, *, fast: bool = False):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        common = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                      layer_norm_eps=layer_norm_eps, batch_first=batch_first, norm_first=norm_first,
                      bias=bias, fast=fast, **kw)
        self.encoder = custom_encoder or TransformerEncoder(
            TransformerEncoderLayer(d_model, nhead, **common), num_encoder_layers,
            nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self.decoder = custom_decoder or TransformerDecoder(
            TransformerDecoderLayer(d_model, nhead, **common), num_decoder_layers,
            nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=torch.float32) -> Tensor:
        """Float mask with -inf above the diagonal (torch's format for ``tgt_mask``)."""
        return torch.zeros(sz, sz, device=device, dtype=dtype).masked_fill(~causal_mask(sz, device=device),
                                                                           float("-inf"))

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, src_is_causal: bool = False,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        bdim = 0 if self.batch_first else 1
        expect(src.shape[bdim] == tgt.shape[bdim], "tgt", f"batch size {src.shape[bdim]} (the src's)",
               tuple(tgt.shape))
        memory = self.encoder(src, src_mask, src_key_padding_mask, src_is_causal)
        return self.decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                            memory_key_padding_mask, tgt_is_causal)
