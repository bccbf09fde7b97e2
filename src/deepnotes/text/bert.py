"""BERT: a Transformer encoder over [CLS] A [SEP] B [SEP] with token, position and segment
embeddings, and its pre-training tasks (masked LM, next-sentence and sentence-order prediction).

Syllabus: transformers_nlp.bert, transformers_nlp.masked_language_modeling,
transformers_nlp.next_sentence_prediction, transformers_nlp.sentence_order_prediction.
Notes: 000 L7.02-L7.05, L7.18; 001 S18.19; 002 §6.9c-e; 003 L8.18-L8.20.

    x_t = LN(E_tok[w_t] + E_pos[t] + E_seg[s_t]);  H = post-LN Transformer encoder (GELU FFN)
    pooled = tanh(W_p h_[CLS] + b_p)
    base: 12 layers, d = 768, 12 heads, d_ff = 3072, vocab 30522, 512 positions
          (109,482,240 parameters with the pooler, as HuggingFace's BertModel); large: 24/1024/16

Masked LM: choose 15% of the (non-special) tokens; of those 80% -> [MASK], 10% -> a random
token, 10% unchanged; the loss is the cross-entropy at the chosen positions only (label -100
elsewhere). NSP: B is the true next sentence (label 1) or a random one (label 0), 50/50.
SOP: two consecutive segments, swapped with probability 1/2 (label 1 = in order).

Notes' differences: 003 calls the input masking 'masked self-attention' and gives no rate; 002
says MLM reconstructs all tokens (only the chosen 15% are scored); 002 describes the swap task
under the name NSP (original NSP uses a random sentence, the swap is ALBERT's SOP).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["BertConfig", "BertModel", "BertForPreTraining", "mask_tokens", "pack_pair",
           "next_sentence_pairs", "sentence_order_pairs"]


@dataclass
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    hidden_dropout_prob: float = 0.1
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    @classmethod
    def base(cls) -> "BertConfig":
        return cls()

    @classmethod
    def large(cls) -> "BertConfig":
        return cls(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)


@syllabus("transformers_nlp.bert")
class BertModel(nn.Module):
    """forward(input_ids (B, T), token_type_ids, attention_mask (1 = real)) -> (H (B, T, d), pooled (B, d))."""

    def __init__(self, config: BertConfig, device=None):
        super().__init__()
        c, kw = config, dict(device=device)
        self.config = c
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id, **kw)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size, **kw)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size, **kw)
        self.embeddings_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps, **kw)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        layer = TransformerEncoderLayer(c.hidden_size, c.num_attention_heads, c.intermediate_size,
                                        c.hidden_dropout_prob, "gelu", c.layer_norm_eps, batch_first=True,
                                        fast=True, **kw)
        self.encoder = TransformerEncoder(layer, c.num_hidden_layers)
        self.pooler = nn.Linear(c.hidden_size, c.hidden_size, **kw)
        if device != "meta":
            self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                attention_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        expect(input_ids.dim() == 2, "input_ids", "a (B, T) tensor of token ids", tuple(input_ids.shape))
        B, T = input_ids.shape
        expect(T <= self.config.max_position_embeddings, "input_ids",
               f"at most {self.config.max_position_embeddings} positions", T)
        expect(int(input_ids.max()) < self.config.vocab_size and int(input_ids.min()) >= 0, "input_ids",
               f"ids in [0, {self.config.vocab_size})", (int(input_ids.min()), int(input_ids.max())))
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        expect(token_type_ids.shape == input_ids.shape, "token_type_ids", f"shape {(B, T)}", tuple(token_type_ids.shape))
        pos = torch.arange(T, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        x = self.dropout(self.embeddings_norm(x))                             # (B, T, d)
        kpm = None if attention_mask is None else attention_mask == 0        # True = padding
        h = self.encoder(x, src_key_padding_mask=kpm)                         # (B, T, d)
        return h, torch.tanh(self.pooler(h[:, 0]))


@syllabus("transformers_nlp.bert", "transformers_nlp.masked_language_modeling",
          "transformers_nlp.next_sentence_prediction", "transformers_nlp.sentence_order_prediction")
class BertForPreTraining(nn.Module):
    """BERT with the MLM head (dense, GELU, LN, decoder tied to the word embeddings) and the
    two-way sentence-pair head (NSP or SOP) on the pooled [CLS] output."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.bert = BertModel(config)
        d = config.hidden_size
        self.mlm_dense = nn.Linear(d, d)
        self.mlm_norm = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.pair_head = nn.Linear(d, 2)

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, mlm_labels=None, pair_labels=None):
        h, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        z = self.mlm_norm(F.gelu(self.mlm_dense(h)))
        mlm_logits = z @ self.bert.word_embeddings.weight.T + self.mlm_bias   # (B, T, V)
        pair_logits = self.pair_head(pooled)                                  # (B, 2)
        loss = None
        if mlm_labels is not None:
            loss = F.cross_entropy(mlm_logits.reshape(-1, mlm_logits.shape[-1]), mlm_labels.reshape(-1), ignore_index=-100)
        if pair_labels is not None:
            pl = F.cross_entropy(pair_logits, pair_labels)
            loss = pl if loss is None else loss + pl
        return mlm_logits, pair_logits, loss


@syllabus("transformers_nlp.masked_language_modeling")
def mask_tokens(input_ids: Tensor, vocab_size: int, mask_id: int, special_mask: Tensor | None = None,
                select_prob: float = 0.15, generator: torch.Generator | None = None,
                random_low: int = 0) -> tuple[Tensor, Tensor]:
    """BERT's corruption: returns (inputs, labels); labels are -100 where nothing is predicted.

    Selected positions: 80% [MASK], 10% a uniform random token in [random_low, vocab_size),
    10% kept. ``special_mask`` (True = never select) protects [CLS], [SEP] and padding.
    """
    expect(0 < select_prob < 1, "select_prob", "a probability in (0, 1)", select_prob)
    u = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    selected = u < select_prob
    if special_mask is not None:
        selected &= ~special_mask
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, -100))
    r = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    rand_tok = torch.randint(random_low, vocab_size, input_ids.shape, generator=generator, device=input_ids.device)
    inputs = torch.where(selected & (r < 0.8), torch.full_like(input_ids, mask_id), input_ids)
    inputs = torch.where(selected & (r >= 0.8) & (r < 0.9), rand_tok, inputs)
    return inputs, labels


def pack_pair(a: list[int], b: list[int] | None, cls_id: int, sep_id: int) -> tuple[list[int], list[int]]:
    """[CLS] A [SEP] (B [SEP]) and its segment ids (0 for A, 1 for B)."""
    ids = [cls_id] + list(a) + [sep_id]
    seg = [0] * len(ids)
    if b is not None:
        ids += list(b) + [sep_id]
        seg += [1] * (len(b) + 1)
    return ids, seg


@syllabus("transformers_nlp.next_sentence_prediction")
def next_sentence_pairs(num_sentences: int, n: int, generator: torch.Generator | None = None) -> Tensor:
    """(n, 3) rows (i, j, label): j = i + 1 with label 1 half the time, else a random j != i + 1."""
    expect(num_sentences >= 3, "num_sentences", "at least 3 sentences", num_sentences)
    i = torch.randint(0, num_sentences - 1, (n,), generator=generator)
    pos = torch.rand(n, generator=generator) < 0.5
    rand = torch.randint(0, num_sentences, (n,), generator=generator)
    rand = torch.where(rand == i + 1, (rand + 1) % num_sentences, rand)
    j = torch.where(pos, i + 1, rand)
    return torch.stack([i, j, pos.long()], 1)


@syllabus("transformers_nlp.sentence_order_prediction")
def sentence_order_pairs(num_sentences: int, n: int, generator: torch.Generator | None = None) -> Tensor:
    """(n, 3) rows (first, second, label): consecutive (i, i+1) with label 1, or swapped
    (i+1, i) with label 0, each with probability 1/2."""
    expect(num_sentences >= 2, "num_sentences", "at least 2 sentences", num_sentences)
    i = torch.randint(0, num_sentences - 1, (n,), generator=generator)
    keep = torch.rand(n, generator=generator) < 0.5
    first = torch.where(keep, i, i + 1)
    second = torch.where(keep, i + 1, i)
    return torch.stack([first, second, keep.long()], 1)
