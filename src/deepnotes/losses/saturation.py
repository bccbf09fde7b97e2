"""Why square error trains classifiers badly: the gradient vanishes far from the target.

Syllabus: foundations.square_error_saturation. Notes: 000 L2.61, L2.82.

With a sigmoid output p = sigmoid(z) and target 1:

    d/dz (p - 1)^2          = 2 (p - 1) p (1 - p)   -> 0   as z -> -inf   (stuck on a plateau)
    d/dz BCE(z, 1)          = p - 1                 -> -1  as z -> -inf   (full push)

At z = -10 the first is about -9.1e-5, the second about -0.99995. The same happens with softmax:
MSE on the probability vector against a one-hot target has a vanishing gradient when the wrong
class wins by a large margin, whereas cross-entropy's gradient softmax(z) - p stays O(1).
:func:`logit_gradients` measures both by autograd through this package's losses.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .bce import binary_cross_entropy_with_logits
from .cross_entropy_loss import cross_entropy
from .regression import mse_loss

__all__ = ["logit_gradients"]


@syllabus("foundations.square_error_saturation")
def logit_gradients(logits: Tensor, target: Tensor) -> dict[str, Tensor]:
    """Gradients w.r.t. the logits of square error and of cross-entropy, summed over examples.

    Binary: ``logits`` (N,) and ``target`` (N,) in {0, 1}: sigmoid + MSE vs BCE with logits.
    Multiclass: ``logits`` (N, C) and ``target`` (N,) class indices: softmax + MSE against the
    one-hot target vs cross-entropy. Returns {"mse": grad, "ce": grad}, each shaped like logits.
    """
    expect(isinstance(logits, Tensor) and logits.dim() in (1, 2), "logits",
           "a tensor of shape (N,) or (N, C)", getattr(logits, "shape", logits))
    out = {}
    for name in ("mse", "ce"):
        z = logits.detach().clone().requires_grad_(True)
        if z.dim() == 1:
            t = target.to(z.dtype)
            loss = (mse_loss(torch.sigmoid(z), t, reduction="sum") if name == "mse"
                    else binary_cross_entropy_with_logits(z, t, reduction="sum"))
        else:
            onehot = torch.nn.functional.one_hot(target, z.shape[1]).to(z.dtype)
            loss = (mse_loss(torch.softmax(z, 1), onehot, reduction="sum") if name == "mse"
                    else cross_entropy(z, target, reduction="sum"))
        (grad,) = torch.autograd.grad(loss, z)
        out[name] = grad
    return out
