"""Categorical cross-entropy and the negative log-likelihood it comes from.

Syllabus: foundations.cross_entropy, foundations.mle_nll.
Notes: 000 L1.09, L2.59, L2.60, L2.78; 001 S8.32, S8.37, S8.38; 002 §2.3c, §3.4b, P4; 003 L0.15.

Maximum likelihood picks theta* = argmax prod_i p(y_i | x_i, theta), i.e. the minimiser of the
negative log-likelihood -sum_i log p(y_i | x_i, theta). Which loss that is depends on the model's
output distribution:

    categorical  q = softmax(z):  NLL_i = -log q_{y_i}         = cross-entropy (this module)
    Bernoulli    q = sigmoid(z):  NLL_i = BCE                  (bce.py)
    Gaussian     N(y; yhat, var): NLL_i = (log var + (y - yhat)^2 / var) / 2 + log(2 pi) / 2
                 with var = 1 this is MSE / 2 plus a constant  (gaussian_nll_loss below)

Cross-entropy between a target distribution p and the model's q = softmax(z) over C classes:

    CE(p, q) = -sum_c p_c log q_c,   log q = z - logsumexp(z)   (never exp then log)
    dCE/dz   = softmax(z) - p

Targets are class indices (p one-hot, with ``ignore_index`` and per-class ``weight`` as in
torch) or probabilities (soft labels), along dimension 1 of (N, C, d1, ...) inputs.
Equal to torch.nn.functional.cross_entropy / nll_loss / gaussian_nll_loss, gradients included
(tests/losses/test_cross_entropy_loss.py).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus
from .risk import REDUCTIONS, check_same_shape, reduce_loss

__all__ = ["cross_entropy", "nll_loss", "gaussian_nll_loss"]


def _check_input_target(input: Tensor, target: Tensor) -> None:
    expect(isinstance(input, Tensor) and input.dim() >= 1, "input",
           "a tensor of shape (C,), (N, C) or (N, C, d1, ...)", getattr(input, "shape", input))
    expect(isinstance(target, Tensor), "target", "a torch.Tensor", type(target).__name__, TypeError)


@syllabus("foundations.mle_nll")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -input[n, y_n] of class indices under log-probabilities ``input``.

    ``input`` (N, C, d1, ...) or (C,) holds log-probabilities; ``target`` (N, d1, ...) or () holds
    indices in [0, C). ``"mean"`` divides by the summed weights of the non-ignored targets
    (= N with no weights and nothing ignored), as torch does.
    """
    _check_input_target(input, target)
    expect(reduction in REDUCTIONS, "reduction", f"one of {REDUCTIONS}", reduction)
    expect(not target.is_floating_point(), "target", "integer class indices (use cross_entropy for "
           "probability targets)", target.dtype, TypeError)
    if input.dim() == 1:                                     # a single example: (C,) and ()
        input, target = input.unsqueeze(0), target.reshape(1)
        squeeze = True
    else:
        squeeze = False
    C = input.shape[1]
    expect(target.shape == input.shape[:1] + input.shape[2:], "target",
           f"shape {tuple(input.shape[:1] + input.shape[2:])} (input without its class dim)",
           tuple(target.shape))
    keep = target != ignore_index                            # (N, d1, ...)
    expect(bool(((target[keep] >= 0) & (target[keep] < C)).all()), "target",
           f"class indices in [0, {C}) or ignore_index={ignore_index}", target.unique().tolist())
    safe = torch.where(keep, target, torch.zeros_like(target))
    picked = input.gather(1, safe.unsqueeze(1)).squeeze(1)   # (N, d1, ...) log q_{y}
    w = torch.ones(C, dtype=input.dtype, device=input.device) if weight is None else weight
    expect(w.shape == (C,), "weight", f"shape ({C},)", tuple(w.shape))
    w_n = w[safe] * keep                                     # (N, d1, ...) 0 where ignored
    loss = -picked * w_n
    if reduction == "mean" and (weight is not None or not bool(keep.all())):
        return loss.sum() / w_n.sum()
    if squeeze and reduction == "none":
        return loss.squeeze(0)
    return reduce_loss(loss, reduction)


@syllabus("foundations.cross_entropy")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits ``input`` (N, C, d1, ...) against class indices or probabilities.

    Integer ``target`` (N, d1, ...): -log softmax(z)[y], with ``weight``/``ignore_index``.
    Float ``target`` shaped like ``input``: -sum_c p_c log softmax(z)_c (soft labels, one-hot).
    """
    _check_input_target(input, target)
    cdim = 0 if input.dim() == 1 else 1
    log_q = input - torch.logsumexp(input, dim=cdim, keepdim=True)  # (N, C, ...) log softmax
    if not target.is_floating_point():
        return nll_loss(log_q, target, weight, ignore_index, reduction)
    check_same_shape(input, target)
    expect(reduction in REDUCTIONS, "reduction", f"one of {REDUCTIONS}", reduction)
    if weight is not None:
        C = input.shape[cdim]
        expect(weight.shape == (C,), "weight", f"shape ({C},)", tuple(weight.shape))
        shape = [1] * input.dim()
        shape[cdim] = C
        log_q = log_q * weight.reshape(shape)
    loss = -(target * log_q).sum(cdim)                         # (N, d1, ...)
    return reduce_loss(loss, reduction)


@syllabus("foundations.mle_nll")
def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood (log var + (input - target)^2 / var) / 2 (+ log(2 pi)/2)."""
    check_same_shape(input, target)
    var = torch.as_tensor(var, dtype=input.dtype, device=input.device)
    expect(bool((var >= 0).all()), "var", "non-negative variances", var.min().item())
    with torch.no_grad():                                     # torch clamps without gradient
        floor = var.clamp(min=eps) - var
    var = (var + floor).expand_as(input) if var.dim() == 0 else var + floor
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)
