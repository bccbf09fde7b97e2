"""Autoregressive density model over discretised vectors: p(x) = prod_i p(x_i | x_<i).

Syllabus: generative.autoregressive_density. Notes: 002 §8.1a, §8.1i; 003 L12.17.

Each coordinate is discretised into k bins; any causal sequence model gives the conditionals.
Here a GRU reads (context, x_1, ..., x_{D-1}) and emits a k-way softmax for x_1, ..., x_D, so an
optional context vector (a class, a caption embedding) is fed at the first step. Ancestral
sampling draws x_1, then x_2 | x_1, and so on.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["AutoregressiveDensity"]


@syllabus("generative.autoregressive_density")
class AutoregressiveDensity(nn.Module):
    def __init__(self, dim: int, bins: int, hidden: int = 32, context_features: int = 0):
        super().__init__()
        expect(dim >= 1 and bins >= 2, "dim, bins", "dim >= 1 and bins >= 2", (dim, bins))
        self.dim, self.bins, self.context_features = dim, bins, context_features
        self.embed = nn.Embedding(bins, hidden)
        self.start = nn.Linear(max(context_features, 1), hidden)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, bins)

    def _first(self, b: int, context: torch.Tensor | None) -> torch.Tensor:
        if self.context_features == 0:
            return self.start(torch.ones(b, 1))                             # (B, H) learned start
        expect(context is not None and context.shape == (b, self.context_features), "context",
               f"(B, {self.context_features})", None if context is None else tuple(context.shape))
        return self.start(context)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, D) bin indices -> logits (B, D, k) of p(x_i | x_<i)."""
        expect(x.dim() == 2 and x.shape[1] == self.dim, "x", f"(B, {self.dim})", tuple(x.shape))
        inp = torch.cat([self._first(len(x), context)[:, None], self.embed(x[:, :-1].long())], 1)  # (B, D, H)
        out, _ = self.rnn(inp)
        return self.head(out)

    def log_prob(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        logp = F.log_softmax(self(x, context), -1)                          # (B, D, k)
        return logp.gather(-1, x.long().unsqueeze(-1)).squeeze(-1).sum(-1)  # (B,)

    @torch.no_grad()
    def sample(self, n: int, context: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        inp, state, xs = self._first(n, context)[:, None], None, []
        for _ in range(self.dim):
            out, state = self.rnn(inp, state)
            xi = torch.multinomial(torch.softmax(self.head(out[:, 0]), -1), 1, generator=generator)  # (n, 1)
            xs.append(xi)
            inp = self.embed(xi)
        return torch.cat(xs, 1)                                              # (n, D)
