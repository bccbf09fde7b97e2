"""Greedy layer-wise pretraining: train AE_1 on x, AE_2 on the frozen codes of AE_1, ..., then stack.

Syllabus: generative.layerwise_pretraining. Notes: 002 §8.2k.

    h_0 = x;  for k = 1..K:  train (g_k, f_k) to minimise ||h_{k-1} - f_k(g_k(h_{k-1}))||^2,
                             then h_k = g_k(h_{k-1}) with g_k frozen
    encoder = g_K o ... o g_1, followed by a head and fine-tuned end to end.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["pretrain_layerwise"]


@syllabus("generative.layerwise_pretraining")
def pretrain_layerwise(x: torch.Tensor, widths: Sequence[int], steps: int = 200, lr: float = 1e-2,
                       seed: int = 0, record: list | None = None) -> nn.Sequential:
    """Train one shallow tanh autoencoder per width on the previous stage's codes; return the
    stacked encoder ``Sequential(Linear, Tanh, Linear, Tanh, ...)``. ``record`` (a list) receives
    the input each stage was trained on."""
    expect(x.dim() == 2, "x", "a (N, D) tensor", tuple(x.shape))
    expect(len(widths) >= 1 and all(w >= 1 for w in widths), "widths", "positive ints", widths)
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    h = x.detach()
    for w in widths:
        enc, dec = nn.Linear(h.shape[1], w), nn.Linear(w, h.shape[1])
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=lr)
        if record is not None:
            record.append(h.clone())
        for _ in range(steps):
            loss = ((dec(torch.tanh(enc(h))) - h) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        for p in enc.parameters():
            p.requires_grad_(False)                       # frozen while the next stage trains
        layers += [enc, nn.Tanh()]
        with torch.no_grad():
            h = torch.tanh(enc(h))                        # (N, w) codes for the next stage
    for layer in layers:
        for p in layer.parameters():
            p.requires_grad_(True)                        # ready for end-to-end fine-tuning
    return nn.Sequential(*layers)
