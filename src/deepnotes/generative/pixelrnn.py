"""PixelRNN: an LSTM reads the image one pixel at a time in raster order.

Syllabus: generative.pixelrnn. Notes: 002 §8.1b-c.

    h_i = LSTM(emb(x_{i-1}), h_{i-1}),   p(x_i | x_<i) = softmax(W h_i)     (x_0 = a start token)
Single channel (one channel at a time for colour would interleave R, G, B in the sequence).
The Row LSTM / diagonal BiLSTM variants that bring the pixel above closer are not implemented:
the pixel above is W steps back in this sequence.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["PixelRNN"]


@syllabus("generative.pixelrnn")
class PixelRNN(nn.Module):
    def __init__(self, num_classes: int = 2, hidden: int = 64, num_layers: int = 1):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes + 1, hidden)                  # + start token
        self.lstm = nn.LSTM(hidden, hidden, num_layers, batch_first=True)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 1, H, W) integer levels -> logits (B, K, H, W)."""
        expect(x.dim() == 4 and x.shape[1] == 1, "x", "(B, 1, H, W)", tuple(x.shape))
        b, _, h, w = x.shape
        seq = x.reshape(b, h * w).long()                                     # (B, N) raster order
        start = torch.full((b, 1), self.num_classes, dtype=torch.long)
        inp = self.embed(torch.cat([start, seq[:, :-1]], 1))                  # (B, N, H) shifted right
        out, _ = self.lstm(inp)
        return self.head(out).transpose(1, 2).reshape(b, self.num_classes, h, w)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self(x), x[:, 0].long(), reduction="none").flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int, height: int, width: int, generator: torch.Generator | None = None,
               callback: Callable[[int, torch.Tensor], None] | None = None) -> torch.Tensor:
        """Pixels generated strictly in raster order, one LSTM step each (unfilled pixels hold -1)."""
        canvas = torch.full((n, height * width), -1.0)
        inp = torch.full((n, 1), self.num_classes, dtype=torch.long)
        state = None
        for i in range(height * width):
            out, state = self.lstm(self.embed(inp), state)                   # (n, 1, H)
            probs = torch.softmax(self.head(out[:, 0]), -1)
            pix = torch.multinomial(probs, 1, generator=generator)            # (n, 1)
            canvas[:, i] = pix[:, 0].float()
            if callback is not None:
                callback(i, canvas.clone())
            inp = pix
        return canvas.reshape(n, 1, height, width)
