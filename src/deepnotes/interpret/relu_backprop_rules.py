"""Guided backpropagation and deconvnet: saliency with a modified ReLU backward rule.

Syllabus: interpretability.guided_backprop, interpretability.deconvnet.
Notes: 002 §5.3d; 001 S11.07, S11.12.

With z the ReLU's forward input and g the gradient arriving from above:

    plain backprop:    g_in = g * [z > 0]
    deconvnet:         g_in = relu(g)                   (ignores the forward sign of z)
    guided backprop:   g_in = relu(g * [z > 0])          (both conditions)

Everything else is ordinary backprop: through a convolution it is the transposed ("flipped")
kernel, through max-pooling it routes to the recorded switch (max-unpooling), exactly as Zeiler
and Fergus's deconvnet projects one activation back to pixel space. The rules apply to the
model's ``nn.ReLU`` modules (as Captum's GuidedBackprop and Deconvolution); ``F.relu`` calls are
not seen, so the functions raise if the model has no ``nn.ReLU``. Seeding the backward pass at
a hidden unit instead of a class: pass a model that returns that unit.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from ._target import input_gradient

__all__ = ["guided_backprop", "deconvnet"]


def _modified_relu_gradient(model: nn.Module, inputs: torch.Tensor, target: Any, use_grad_output: bool):
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    expect(bool(relus), "model", "a model whose ReLUs are nn.ReLU modules", type(model).__name__)

    def hook(module, grad_input, grad_output):
        g = grad_output if use_grad_output else grad_input
        return tuple(None if t is None else F.relu(t) for t in g)

    inplace = [m.inplace for m in relus]
    handles = []
    try:
        for m in relus:
            m.inplace = False                                                   # full hooks refuse in-place
            handles.append(m.register_full_backward_hook(hook))
        return input_gradient(model, inputs, target)
    finally:
        for h in handles:
            h.remove()
        for m, ip in zip(relus, inplace):
            m.inplace = ip


@syllabus("interpretability.guided_backprop")
def guided_backprop(model: nn.Module, inputs: torch.Tensor, target: Any = None) -> torch.Tensor:
    """Guided backpropagation attribution, shaped like ``inputs``."""
    return _modified_relu_gradient(model, inputs, target, use_grad_output=False)


@syllabus("interpretability.deconvnet")
def deconvnet(model: nn.Module, inputs: torch.Tensor, target: Any = None) -> torch.Tensor:
    """Deconvnet (Zeiler & Fergus) reconstruction / attribution, shaped like ``inputs``."""
    return _modified_relu_gradient(model, inputs, target, use_grad_output=True)
