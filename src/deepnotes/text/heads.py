"""Fine-tuning heads on a pre-trained encoder: sequence classification ([CLS]), token
classification (every token) and extractive span prediction; and the fine-tuning wrapper.

Syllabus: transformers_nlp.sequence_classification_head, transformers_nlp.token_classification_head,
transformers_nlp.span_extraction_head, transformers_nlp.pretrain_finetune.
Notes: 000 L7.06-L7.12; 002 §6.9f-k.

    sequence  logits = W h_[CLS] + b          (pairs packed as [CLS] A [SEP] B [SEP] + segment ids)
    token     logits_t = W h_t + b            (loss on real tokens only)
    span      p_start = softmax_i(s . h_i), p_end = softmax_i(e . h_i): only 2d new parameters;
              answer = argmax_{i <= j} p_start(i) p_end(j);   loss = CE(start) + CE(end)

Fine-tuning: initialise the encoder from the self-supervised checkpoint, add a freshly
initialised head, train everything with the task loss (small learning rate); or freeze the
encoder and train the head on its features (ELMo style, ``freeze_encoder=True``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["SequenceClassificationHead", "TokenClassificationHead", "SpanExtractionHead", "decode_span",
           "span_loss", "token_classification_loss", "EncoderWithHead"]


@syllabus("transformers_nlp.sequence_classification_head")
class SequenceClassificationHead(nn.Module):
    """h (B, T, d) -> logits (B, C) from the first ([CLS]) position."""

    def __init__(self, d_model: int, num_classes: int, dropout: float = 0.0):
        super().__init__()
        self.dropout, self.linear = nn.Dropout(dropout), nn.Linear(d_model, num_classes)

    def forward(self, h: Tensor) -> Tensor:
        return self.linear(self.dropout(h[:, 0]))


@syllabus("transformers_nlp.token_classification_head")
class TokenClassificationHead(nn.Module):
    """h (B, T, d) -> logits (B, T, C) at every position."""

    def __init__(self, d_model: int, num_classes: int, dropout: float = 0.0):
        super().__init__()
        self.dropout, self.linear = nn.Dropout(dropout), nn.Linear(d_model, num_classes)

    def forward(self, h: Tensor) -> Tensor:
        return self.linear(self.dropout(h))


@syllabus("transformers_nlp.token_classification_head")
def token_classification_loss(logits: Tensor, labels: Tensor, attention_mask: Tensor) -> Tensor:
    """Mean CE over real tokens (attention_mask 1); padded positions are ignored."""
    expect(logits.shape[:2] == labels.shape == attention_mask.shape, "labels/attention_mask",
           f"shape {tuple(logits.shape[:2])}", (tuple(labels.shape), tuple(attention_mask.shape)))
    keep = attention_mask.bool()
    return F.cross_entropy(logits[keep], labels[keep])


@syllabus("transformers_nlp.span_extraction_head")
class SpanExtractionHead(nn.Module):
    """Start and end vectors s, e (2d parameters): h (B, T, d) -> start, end logits (B, T)."""

    def __init__(self, d_model: int):
        super().__init__()
        self.start = nn.Parameter(torch.randn(d_model) * 0.02)
        self.end = nn.Parameter(torch.randn(d_model) * 0.02)

    def forward(self, h: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        s, e = h @ self.start, h @ self.end                           # (B, T) each
        if mask is not None:
            s = s.masked_fill(~mask.bool(), float("-inf"))
            e = e.masked_fill(~mask.bool(), float("-inf"))
        return s, e


@syllabus("transformers_nlp.span_extraction_head")
def span_loss(start_logits: Tensor, end_logits: Tensor, start: Tensor, end: Tensor) -> Tensor:
    return F.cross_entropy(start_logits, start) + F.cross_entropy(end_logits, end)


@syllabus("transformers_nlp.span_extraction_head")
def decode_span(start_logits: Tensor, end_logits: Tensor, max_len: int | None = None) -> Tensor:
    """argmax over i <= j (and j - i < max_len) of log p_start(i) + log p_end(j): (B, 2)."""
    ls, le = start_logits.log_softmax(-1), end_logits.log_softmax(-1)  # (B, T)
    T = ls.shape[-1]
    score = ls.unsqueeze(2) + le.unsqueeze(1)                         # (B, T_i, T_j)
    i = torch.arange(T, device=ls.device)
    valid = i[None, :] >= i[:, None]
    if max_len is not None:
        valid &= (i[None, :] - i[:, None]) < max_len
    score = score.masked_fill(~valid, float("-inf")).flatten(1)
    best = score.argmax(-1)
    return torch.stack([best // T, best % T], 1)


@syllabus("transformers_nlp.pretrain_finetune")
class EncoderWithHead(nn.Module):
    """An encoder returning (H, pooled) (e.g. BertModel) plus a task head on H.

    ``from_pretrained(encoder, state_dict, head)`` loads the checkpoint into the encoder so only
    the head is new; ``freeze_encoder=True`` trains the head on frozen features.
    """

    def __init__(self, encoder: nn.Module, head: nn.Module, freeze_encoder: bool = False):
        super().__init__()
        self.encoder, self.head = encoder, head
        if freeze_encoder:
            for p in self.encoder.parameters():
                p.requires_grad_(False)

    @classmethod
    def from_pretrained(cls, encoder: nn.Module, state_dict: dict, head: nn.Module, freeze_encoder: bool = False):
        encoder.load_state_dict(state_dict)
        return cls(encoder, head, freeze_encoder)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None,
                attention_mask: Tensor | None = None):
        h, _ = self.encoder(input_ids, token_type_ids, attention_mask)
        return self.head(h)
