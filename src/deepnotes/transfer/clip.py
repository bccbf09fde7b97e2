"""CLIP: two towers trained with a symmetric contrastive loss on image-text pairs.

Syllabus: adaptation_ssl_meta.clip. Notes: 003 L13.34, L13.35, L13.39, L12D.13.

Image tower g_v and text tower g_l are linearly projected to a shared space and L2-normalised;
for a batch of N matching pairs

    logits = s * I T^T,  s = exp(t), t initialised to log(1 / 0.07)   (N, N)
    L = (1/2) [ CE(logits, diag) + CE(logits^T, diag) ]

(row i's correct text is i, column i's correct image is i). Retrieval ranks by the same cosine.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["clip_loss", "CLIP", "BagOfWordsTextEncoder"]


@syllabus("adaptation_ssl_meta.clip")
def clip_loss(logits: torch.Tensor) -> torch.Tensor:
    """Symmetric cross-entropy of an (N, N) image-by-text logit matrix with the diagonal as targets."""
    expect(logits.dim() == 2 and logits.shape[0] == logits.shape[1], "logits", "a square (N, N) tensor",
           tuple(logits.shape))
    target = torch.arange(len(logits), device=logits.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


class BagOfWordsTextEncoder(nn.Module):
    """Mean of word embeddings plus a position-aware sum: tokens (B, L) -> (B, dim); 0 is padding."""

    def __init__(self, vocab_size: int, dim: int = 64, length: int = 8):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.position = nn.Parameter(torch.zeros(length, dim))
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        e = self.embedding(tokens) + self.position[: tokens.shape[1]] * (tokens > 0)[..., None]  # (B, L, D)
        return self.mlp(e.sum(1))                                             # (B, D)


@syllabus("adaptation_ssl_meta.clip")
class CLIP(nn.Module):
    def __init__(self, image_encoder: nn.Module, text_encoder: nn.Module, image_dim: int, text_dim: int,
                 embed_dim: int = 32, init_temperature: float = 0.07):
        super().__init__()
        self.image_encoder, self.text_encoder = image_encoder, text_encoder
        self.image_projection = nn.Linear(image_dim, embed_dim, bias=False)
        self.text_projection = nn.Linear(text_dim, embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / init_temperature)))

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_projection(self.image_encoder(images)), dim=-1)   # (B, E)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_projection(self.text_encoder(tokens)), dim=-1)     # (B, E)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Image-by-text logits (B, B) = exp(t) * cosine similarities."""
        return self.logit_scale.exp() * self.encode_image(images) @ self.encode_text(tokens).T
