"""Hidden representations: collect a layer's activations with forward hooks and project to 2-D.

Syllabus: interpretability.hidden_representation_viz. Notes: 000 L9.08; 001 S11.03.

    PCA:   centre F (n, d) -> F - mean;  SVD  F - mean = U S V^T;  projection = (F - mean) V[:, :k]
           (signs fixed so the largest-|.| entry of each column of U is positive, as scikit-learn)
    t-SNE: scikit-learn's TSNE is the engine (``tsne_project``).
"""
from __future__ import annotations

from typing import Iterable

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["collect_activations", "pca_project", "tsne_project"]


@syllabus("interpretability.hidden_representation_viz")
@torch.no_grad()
def collect_activations(model: nn.Module, inputs: torch.Tensor, layers: Iterable[str],
                        flatten: bool = True) -> dict[str, torch.Tensor]:
    """{layer name: its output on ``inputs``} for named submodules (``model.named_modules()``)."""
    modules = dict(model.named_modules())
    layers = list(layers)
    for name in layers:
        expect(name in modules, "layers", f"names of submodules ({sorted(k for k in modules if k)})", name)
    out: dict[str, torch.Tensor] = {}
    hooks = [modules[n].register_forward_hook(
        lambda m, i, o, n=n: out.__setitem__(n, o.detach().flatten(1) if flatten else o.detach()))
        for n in layers]
    try:
        model(inputs)
    finally:
        for h in hooks:
            h.remove()
    return out


@syllabus("interpretability.hidden_representation_viz")
def pca_project(features: torch.Tensor, n_components: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """(projection (n, k), explained variance ratio (k,)) of features (n, d) by SVD."""
    expect(features.dim() == 2 and 1 <= n_components <= min(features.shape), "n_components",
           f"an integer in [1, {min(features.shape) if features.dim() == 2 else '?'}]", n_components)
    f = features.to(torch.float64)
    centred = f - f.mean(0)
    U, S, Vh = torch.linalg.svd(centred, full_matrices=False)
    idx = U.abs().argmax(0)
    signs = torch.sign(U[idx, torch.arange(U.size(1))])
    U, Vh = U * signs, Vh * signs[:, None]
    var = S ** 2
    return (centred @ Vh[:n_components].t()).to(features.dtype), (var / var.sum())[:n_components]


def tsne_project(features: torch.Tensor, n_components: int = 2, perplexity: float = 30.0, seed: int = 0) -> torch.Tensor:
    """scikit-learn t-SNE embedding (n, k) of features (n, d)."""
    from sklearn.manifold import TSNE

    emb = TSNE(n_components, perplexity=min(perplexity, features.size(0) - 1), random_state=seed,
               init="pca").fit_transform(features.detach().cpu().numpy())
    return torch.as_tensor(emb, dtype=torch.float32)
