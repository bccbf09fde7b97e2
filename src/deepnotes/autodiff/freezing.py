"""Freezing parameters and stopping gradients.

Syllabus: autodiff.parameter_freezing. Notes: 000 X.03; 001 S16.06, S10.15.

A tensor with ``requires_grad=False`` is a constant to autograd: no gradient reaches it, its
``.grad`` stays None, and every deepnotes (and torch) optimizer skips parameters whose grad is
None, so a training step leaves it bit-identical. ``stop_gradient(x)`` (``x.detach()``) is the
same value with the graph cut: d stop_gradient(x) / dx = 0. Used to train a GAN's generator and
discriminator in turn, to attack a fixed model, and to keep a pretrained feature extractor fixed.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

from ..core import expect, syllabus

__all__ = ["freeze", "unfreeze", "frozen", "stop_gradient"]


def _module(m) -> torch.nn.Module:
    expect(isinstance(m, torch.nn.Module), "module", "a torch.nn.Module", type(m).__name__, TypeError)
    return m


@syllabus("autodiff.parameter_freezing")
def freeze(module: torch.nn.Module) -> torch.nn.Module:
    """Set requires_grad=False on every parameter of ``module`` and drop their grads."""
    for p in _module(module).parameters():
        p.requires_grad_(False)
        p.grad = None
    return module


@syllabus("autodiff.parameter_freezing")
def unfreeze(module: torch.nn.Module) -> torch.nn.Module:
    for p in _module(module).parameters():
        p.requires_grad_(True)
    return module


@contextmanager
def frozen(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Freeze ``module`` inside the block, restoring each parameter's requires_grad after."""
    flags = [p.requires_grad for p in _module(module).parameters()]
    freeze(module)
    try:
        yield module
    finally:
        for p, f in zip(module.parameters(), flags):
            p.requires_grad_(f)


@syllabus("autodiff.parameter_freezing")
def stop_gradient(x: torch.Tensor) -> torch.Tensor:
    """The value of ``x`` with no gradient flowing back through it."""
    return x.detach()
