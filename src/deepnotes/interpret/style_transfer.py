"""Neural style transfer (Gatys et al.): Gram matrices, style and content losses, image optimisation.

Syllabus: interpretability.gram_matrix, interpretability.style_loss, interpretability.content_loss,
interpretability.neural_style_transfer. Notes: 001 S11.25-S11.29; 002 §5.5a-§5.5d.

    F^l           a layer's features reshaped to (C, M), M = H W positions
    Gram:         G^l = F^l F^l^T / M                                  (C, C), symmetric PSD
    style loss:   L_style   = sum_l w_l sum_{k,m} (G^l_km(style) - G^l_km(x))^2
    content loss: L_content = sum_{i,j,k} (F^l_ijk(content) - F^l_ijk(x))^2   at one layer
    transfer:     x* = argmin_x alpha L_content + beta L_style,   x initialised at the content image

The Gram matrix forgets where a feature occurs (it is invariant to permuting positions), so it
keeps texture and drops layout; the content loss keeps layout. beta / alpha trades them off.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..core import expect, syllabus

__all__ = ["gram_matrix", "style_loss", "content_loss", "neural_style_transfer"]


@syllabus("interpretability.gram_matrix")
def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) or (C, H, W) -> (B, C, C) or (C, C): F F^T / (H W)."""
    expect(features.dim() in (3, 4), "features", "shape (B, C, H, W) or (C, H, W)", tuple(features.shape))
    f = features.flatten(-2)                                                    # (.., C, M)
    return f @ f.transpose(-1, -2) / f.size(-1)


@syllabus("interpretability.style_loss")
def style_loss(features: Sequence[torch.Tensor], style_grams: Sequence[torch.Tensor],
               weights: Sequence[float] | None = None) -> torch.Tensor:
    """sum_l w_l ||G(features_l) - style_grams_l||_F^2 (summed over the batch)."""
    expect(len(features) == len(style_grams), "style_grams", f"{len(features)} Gram matrices", len(style_grams))
    weights = weights if weights is not None else [1.0] * len(features)
    return sum(w * (gram_matrix(f) - g).pow(2).sum() for w, f, g in zip(weights, features, style_grams))


@syllabus("interpretability.content_loss")
def content_loss(features: torch.Tensor, content_features: torch.Tensor) -> torch.Tensor:
    """sum (F(x) - F(content))^2 at one layer."""
    expect(features.shape == content_features.shape, "content_features", f"shape {tuple(features.shape)}",
           tuple(content_features.shape))
    return (features - content_features).pow(2).sum()


@syllabus("interpretability.neural_style_transfer")
def neural_style_transfer(extract: Callable[[torch.Tensor], list[torch.Tensor]], content: torch.Tensor,
                          style: torch.Tensor, content_layer: int = -1, style_layers: Sequence[int] | None = None,
                          alpha: float = 1.0, beta: float = 1.0, style_weights: Sequence[float] | None = None,
                          steps: int = 200, lr: float = 0.02, init: torch.Tensor | None = None,
                          clamp: tuple[float, float] | None = None) -> tuple[torch.Tensor, list[dict]]:
    """Optimise x (Adam) on alpha L_content + beta L_style; ``extract(x)`` returns a list of feature maps.

    Returns (x*, history of {'content', 'style', 'total'} per step).
    """
    with torch.no_grad():
        feats_c = extract(content)
        feats_s = extract(style)
    style_layers = list(style_layers) if style_layers is not None else list(range(len(feats_s)))
    grams = [gram_matrix(feats_s[i]) for i in style_layers]
    x = (init if init is not None else content).detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    history: list[dict] = []
    for _ in range(steps + 1):
        with torch.enable_grad():
            feats = extract(x)
            lc = content_loss(feats[content_layer], feats_c[content_layer])
            ls = style_loss([feats[i] for i in style_layers], grams, style_weights)
            total = alpha * lc + beta * ls
        history.append({"content": lc.item(), "style": ls.item(), "total": total.item()})
        if len(history) > steps:
            break
        opt.zero_grad()
        total.backward()
        opt.step()
        if clamp is not None:
            with torch.no_grad():
                x.clamp_(*clamp)
    return x.detach(), history
