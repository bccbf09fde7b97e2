"""VQ-VAE: the encoder output snaps to its nearest codebook vector.

Syllabus: generative.vq_vae. Notes: 000 L8.10.

    k = argmin_j ||z_e - e_j||,  z_q = e_k
    L = recon(x, D(z_q)) + ||sg[z_e] - e_k||^2 + beta ||z_e - sg[e_k]||^2,   beta = 0.25
    straight-through: the decoder gets z_e + sg[z_q - z_e] (= z_q), so dL/dz_e = dL/dz_q
Codebook size K (the notes' example uses 5). Unused codes are re-seeded from encoder outputs
(``restart_dead``), a common remedy for codebook collapse.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from ..nn import MLP

__all__ = ["VectorQuantizer", "VQVAE"]


class VectorQuantizer(nn.Module):
    """``forward(z_e)`` -> (z_q straight-through, codebook + commitment loss, indices)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, beta: float = 0.25,
                 generator: torch.Generator | None = None):
        super().__init__()
        expect(num_embeddings >= 1, "num_embeddings", "a positive int", num_embeddings)
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)
        with torch.no_grad():
            self.embedding.weight.uniform_(-1 / num_embeddings, 1 / num_embeddings, generator=generator)
        self.beta = beta

    def forward(self, z_e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        expect(z_e.shape[-1] == self.embedding.embedding_dim, "z_e",
               f"last dim {self.embedding.embedding_dim}", tuple(z_e.shape))
        idx = torch.cdist(z_e.detach(), self.embedding.weight).argmin(-1)        # (B,)
        e = self.embedding(idx)                                                  # (B, d)
        loss = F.mse_loss(e, z_e.detach()) + self.beta * F.mse_loss(z_e, e.detach())
        z_q = z_e + (e - z_e).detach()                                           # value e, gradient to z_e
        return z_q, loss, idx

    @torch.no_grad()
    def restart_dead(self, z_e: torch.Tensor, used: torch.Tensor, generator: torch.Generator | None = None) -> int:
        """Re-seed codes with ``used`` False from random rows of z_e; returns how many."""
        dead = (~used).nonzero().flatten()
        if len(dead):
            pick = torch.randint(len(z_e), (len(dead),), generator=generator)
            self.embedding.weight[dead] = z_e[pick]
        return len(dead)


@syllabus("generative.vq_vae")
class VQVAE(nn.Module):
    """MLP encoder to a d-dim vector, vector quantiser with K codes, MLP decoder."""

    def __init__(self, in_features: int, num_embeddings: int = 32, embedding_dim: int = 8,
                 hidden_features: Sequence[int] = (64,), beta: float = 0.25, generator: torch.Generator | None = None):
        super().__init__()
        hidden = list(hidden_features)
        self.encoder = MLP(in_features, hidden, embedding_dim, generator=generator)
        self.quantizer = VectorQuantizer(num_embeddings, embedding_dim, beta, generator)
        self.decoder = MLP(embedding_dim, hidden[::-1], in_features, generator=generator)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z_e = self.encoder(x)                                                    # (B, d)
        z_q, vq_loss, idx = self.quantizer(z_e)
        x_hat = self.decoder(z_q)                                                # (B, D)
        recon = F.mse_loss(x_hat, x)
        return {"x_hat": x_hat, "z_e": z_e, "z_q": z_q, "indices": idx, "recon": recon,
                "loss": recon + vq_loss}
