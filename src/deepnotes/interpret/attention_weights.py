"""Attention maps: the per-head query x key weights of every ``nn.MultiheadAttention`` in a model.

Syllabus: interpretability.attention_maps. Notes: 001 S18.09.

For each head h, A_h = softmax(Q_h K_h^T / sqrt(d_h)) (queries x keys); each row is a
distribution over the keys (rows sum to 1). The hooks ask each attention module for unaveraged
weights (``need_weights=True, average_attn_weights=False``) while the model runs normally, so
the model's own code needs no change. In a model trained to reverse a sequence, output position
i should look at input position T - 1 - i: the alignment map is the anti-diagonal.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["attention_maps"]


@syllabus("interpretability.attention_maps")
@torch.no_grad()
def attention_maps(model: nn.Module, *inputs: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
    """Run ``model(*inputs, **kwargs)``; return {module name: (B, heads, L_query, L_key) weights}."""
    mods = {n: m for n, m in model.named_modules() if isinstance(m, nn.MultiheadAttention)}
    expect(bool(mods), "model", "a model containing nn.MultiheadAttention modules", type(model).__name__)
    maps: dict[str, torch.Tensor] = {}

    def pre(module, args, kw):
        kw = dict(kw)
        kw["need_weights"], kw["average_attn_weights"] = True, False
        return args, kw

    def post(name):
        def hook(module, args, kw, output):
            w = output[1]
            maps[name] = w if w.dim() == 4 else w.unsqueeze(0)
        return hook

    handles = []
    try:
        for n, m in mods.items():
            handles.append(m.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(m.register_forward_hook(post(n), with_kwargs=True))
        model(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return maps
