"""The local-linearity explanation of adversarial examples.

Syllabus: robustness.linearity_hypothesis. Notes: 002 §9.2b-§9.2d.

For a ReLU network the logits along the line x + c·sign(grad_x L) are piecewise linear and in
practice nearly linear over a wide range of c, so a small step along a high-dimensional sign
direction moves them a lot (a linear score w·x moves by eps |w|_1). ``logit_line`` samples the
logits along that line and ``linear_fit_r2`` reports, per logit, the R² of a least-squares line.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import syllabus
from .fgsm import input_gradient

__all__ = ["logit_line", "linear_fit_r2"]


@syllabus("robustness.linearity_hypothesis")
@torch.no_grad()
def logit_line(model: nn.Module, x: torch.Tensor, target: torch.Tensor, cs: torch.Tensor) -> torch.Tensor:
    """Logits (len(cs), B, K) at x + c sign(grad) for every c in ``cs`` (no clamping)."""
    with torch.enable_grad():
        d = input_gradient(model, x, target).sign()
    return torch.stack([model(x + c * d) for c in cs.tolist()])


@syllabus("robustness.linearity_hypothesis")
def linear_fit_r2(cs: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """R² of a least-squares line fitted to values (C, ...) over cs (C,); returns (...)."""
    c = cs.double() - cs.double().mean()
    v = values.double().flatten(1)                                   # (C, M)
    vc = v - v.mean(0)
    slope = (c[:, None] * vc).sum(0) / (c * c).sum()
    resid = vc - slope * c[:, None]
    ss_tot = (vc * vc).sum(0).clamp_min(1e-12)
    return (1 - (resid * resid).sum(0) / ss_tot).view(values.shape[1:])
