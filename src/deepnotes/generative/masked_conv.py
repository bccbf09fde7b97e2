"""Masked convolutions and PixelCNN.

Syllabus: generative.masked_conv, generative.pixelcnn. Notes: 002 §8.1d-e.

A k x k kernel centred on pixel (r, c) is multiplied by a mask that zeroes
    every row below r, and on row r the centre's right (mask B keeps the centre, mask A drops it).
The first layer uses mask A, so output (r, c) sees only pixels strictly before (r, c) in raster
order; later layers use mask B (they may look at their own position, which already only carries
earlier pixels). Zero padding keeps the image size.
PixelCNN stacks masked convs and predicts a K-way softmax per pixel (K = 2 for binarised images,
256 for 8-bit): p(x) = prod_i p(x_i | x_<i). Training is parallel (one pass scores all pixels),
sampling sequential (one pass per pixel). The single-channel case is implemented (no per-colour
channel masks); the blind spot of the plain stack is kept as in the original PixelCNN.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["MaskedConv2d", "PixelCNN"]


@syllabus("generative.masked_conv")
class MaskedConv2d(nn.Conv2d):
    """nn.Conv2d (same arguments, same ``weight``/``bias``) whose kernel is masked, type "A" or "B"."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str = "B", **kw):
        expect(mask_type in ("A", "B"), "mask_type", "'A' or 'B'", mask_type)
        expect(kernel_size % 2 == 1, "kernel_size", "an odd int", kernel_size)
        kw.setdefault("padding", kernel_size // 2)
        super().__init__(in_channels, out_channels, kernel_size, **kw)
        k = kernel_size
        mask = torch.ones(k, k)
        mask[k // 2, k // 2 + (mask_type == "B"):] = 0                     # centre row: centre(A)/right
        mask[k // 2 + 1:] = 0                                               # all rows below
        self.register_buffer("mask", mask)
        self.mask_type = mask_type

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(input, self.weight * self.mask, self.bias)   # (B, C_out, H, W)


@syllabus("generative.pixelcnn")
class PixelCNN(nn.Module):
    """Mask-A conv, ``num_layers`` mask-B residual convs, 1x1 head to ``num_classes`` logits per pixel."""

    def __init__(self, in_channels: int = 1, hidden: int = 32, num_layers: int = 4, kernel_size: int = 5,
                 num_classes: int = 2):
        super().__init__()
        expect(num_classes >= 2, "num_classes", "an int >= 2", num_classes)
        self.num_classes = num_classes
        self.input = MaskedConv2d(in_channels, hidden, kernel_size, "A")
        self.layers = nn.ModuleList(MaskedConv2d(hidden, hidden, 3, "B") for _ in range(num_layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                                  nn.Conv2d(hidden, num_classes, 1))

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() / (self.num_classes - 1)                          # pixel values -> [0, 1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 1, H, W) integer levels -> logits (B, K, H, W)."""
        expect(x.dim() == 4, "x", "(B, C, H, W)", tuple(x.shape))
        h = self.input(self._scale(x))
        for layer in self.layers:
            h = h + layer(torch.relu(h))                                    # (B, hidden, H, W)
        return self.head(h)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """-log p(x) in nats per image, (B,)."""
        return F.cross_entropy(self(x), x[:, 0].long(), reduction="none").flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int, height: int, width: int, generator: torch.Generator | None = None) -> torch.Tensor:
        x = torch.zeros(n, 1, height, width)
        for r in range(height):
            for c in range(width):
                probs = torch.softmax(self(x)[:, :, r, c], -1)              # (n, K)
                x[:, 0, r, c] = torch.multinomial(probs, 1, generator=generator)[:, 0].float()
        return x
