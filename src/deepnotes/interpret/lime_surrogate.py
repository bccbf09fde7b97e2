"""LIME: explain one prediction with a weighted linear model fitted on random perturbations.

Syllabus: interpretability.lime. Notes: 000 L9.16; 002 §9.1a2.

Interpretable components are the features, or the groups of ``feature_mask`` (e.g. superpixels).
Draw binary vectors z in {0, 1}^d (1 = keep, 0 = replace by the baseline), evaluate f on each
perturbed input, weight each sample by

    pi_x(z) = exp(-D(1, z)^2 / sigma^2),   D = Euclidean distance in component space / sqrt(d)

and fit g(z) = b + sum_j c_j z_j by weighted ridge least squares. With ``num_features`` set,
only that many components (largest |c| in a first fit) are kept and the model is refitted
(LIME's "highest weights" sparsity). The explanation is c spread back onto the input's shape.
"""
from __future__ import annotations

from typing import Any

import torch

from ..core import expect, syllabus
from ._target import select_target

__all__ = ["lime"]


def _weighted_ridge(Z: torch.Tensor, y: torch.Tensor, w: torch.Tensor, alpha: float) -> torch.Tensor:
    """Coefficients [c; b] minimising sum_k w_k (y_k - b - Z_k c)^2 + alpha |c|^2."""
    X = torch.cat([Z, torch.ones(Z.size(0), 1, dtype=Z.dtype)], dim=1)          # (n, d+1)
    sw = w.sqrt()[:, None]
    reg = torch.eye(X.size(1), dtype=Z.dtype) * alpha
    reg[-1, -1] = 0.0                                                           # no penalty on the intercept
    A = (sw * X).t() @ (sw * X) + reg
    return torch.linalg.solve(A, (sw * X).t() @ (sw[:, 0] * y))


@syllabus("interpretability.lime")
@torch.no_grad()
def lime(model: torch.nn.Module, inputs: torch.Tensor, target: Any = None, n_samples: int = 500,
         feature_mask: torch.Tensor | None = None, baselines: float | torch.Tensor = 0.0,
         kernel_width: float = 0.75, alpha: float = 1e-3, num_features: int | None = None,
         keep_prob: float = 0.5, generator: torch.Generator | None = None, batch_size: int = 256,
         return_surrogate: bool = False):
    """LIME attributions for ONE example ``inputs`` (1, *S), shaped like it.

    ``return_surrogate=True`` also returns (coefficients, intercept, R^2 of the weighted fit).
    """
    expect(inputs.size(0) == 1, "inputs", "a single example of shape (1, ...)", tuple(inputs.shape))
    expect(kernel_width > 0, "kernel_width", "a positive float", kernel_width)
    shape = inputs.shape[1:]
    if feature_mask is None:
        feature_mask = torch.arange(inputs[0].numel()).view(shape)
    feature_mask = feature_mask.reshape(shape).long()
    d = int(feature_mask.max()) + 1
    base = torch.as_tensor(baselines, dtype=inputs.dtype).expand_as(inputs)[0]
    Z = (torch.rand(n_samples, d, generator=generator) < keep_prob).to(torch.float64)
    Z[0] = 1.0                                                                   # the instance itself
    ys = []
    for s in range(0, n_samples, batch_size):
        keep = Z[s:s + batch_size][:, feature_mask].to(torch.bool)              # (n, *S)
        xs = torch.where(keep, inputs[0][None], base[None])
        ys.append(select_target(model(xs), target).to(torch.float64))
    y = torch.cat(ys)                                                            # (n,)
    dist = (1.0 - Z).pow(2).sum(1).sqrt() / d ** 0.5
    w = torch.exp(-dist.pow(2) / kernel_width ** 2)                              # (n,)
    active = torch.arange(d)
    coef = _weighted_ridge(Z, y, w, alpha)
    if num_features is not None and num_features < d:
        active = torch.topk(coef[:-1].abs(), num_features).indices
        coef_a = _weighted_ridge(Z[:, active], y, w, alpha)
        coef = torch.zeros(d + 1, dtype=torch.float64)
        coef[active], coef[-1] = coef_a[:-1], coef_a[-1]
    c, b = coef[:-1], coef[-1]
    pred = Z @ c + b
    ybar = (w * y).sum() / w.sum()
    r2 = 1 - (w * (y - pred) ** 2).sum() / (w * (y - ybar) ** 2).sum().clamp(min=1e-300)
    attr = c[feature_mask].to(inputs.dtype).unsqueeze(0)                        # (1, *S)
    return (attr, (c, b, float(r2))) if return_surrogate else attr
