"""Critical points read from the Hessian: minimum, maximum or saddle, escape, minimum ratio.

Syllabus: optimization.critical_point_classification, optimization.saddle_escape,
optimization.minimum_ratio. Notes: 000 L2.22-31; 002 §3.1c, §3.2a.

Near theta', L(theta) ~ L(theta') + (theta - theta')^T g + 1/2 (theta - theta')^T H (theta - theta').
Where g = 0 the quadratic term decides, through the eigenvalues of H:

    all lam > 0  -> local minimum      all lam < 0 -> local maximum      mixed -> saddle point

At a saddle, an eigenvector u with H u = lam u, lam < 0, is a way down:
L(theta' + a u) ~ L(theta') + 1/2 lam a^2 ||u||^2 < L(theta'), so step theta <- theta' + a u.
The minimum ratio (000) is the fraction of positive eigenvalues, #{lam_i > 0} / n: 1 at a
local minimum, smaller at a saddle. Eigenvalues within ``tol`` of 0 count as neither sign
(a degenerate point is reported as such).
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["classify_critical_point", "negative_curvature_direction", "saddle_escape_step", "minimum_ratio"]


def _eigvalsh(H: torch.Tensor) -> torch.Tensor:
    expect(H.dim() == 2 and H.shape[0] == H.shape[1], "H", "a square Hessian", tuple(H.shape))
    return torch.linalg.eigvalsh((H + H.T) / 2)


@syllabus("optimization.critical_point_classification")
def classify_critical_point(H: torch.Tensor, tol: float = 1e-8) -> str:
    """'minimum', 'maximum', 'saddle' or 'degenerate' (some |lam| <= tol, no sign change)."""
    lam = _eigvalsh(H)
    pos, neg = bool((lam > tol).any()), bool((lam < -tol).any())
    if pos and neg:
        return "saddle"
    if bool((lam.abs() <= tol).any()):
        return "degenerate"
    return "minimum" if pos else "maximum"


@syllabus("optimization.saddle_escape")
def negative_curvature_direction(H: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(lam_min, u): the most negative curvature and its unit eigenvector."""
    expect(H.dim() == 2 and H.shape[0] == H.shape[1], "H", "a square Hessian", tuple(H.shape))
    lam, U = torch.linalg.eigh((H + H.T) / 2)
    return lam[0].item(), U[:, 0]


@syllabus("optimization.saddle_escape")
def saddle_escape_step(theta: torch.Tensor, H: torch.Tensor, alpha: float = 0.1) -> torch.Tensor:
    """theta + alpha u along the most negative curvature; an error if H has none."""
    lam, u = negative_curvature_direction(H)
    expect(lam < 0, "H", "a Hessian with a negative eigenvalue (a saddle or maximum)", f"lam_min={lam:g}")
    return theta + alpha * u


@syllabus("optimization.minimum_ratio")
def minimum_ratio(H: torch.Tensor, tol: float = 0.0) -> float:
    """#{lam_i(H) > tol} / n."""
    lam = _eigvalsh(H)
    return (lam > tol).double().mean().item()
