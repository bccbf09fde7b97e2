"""The model registry: every architecture by name, timm-style (create_model / list_models).

    >>> from deepnotes.models import create_model, list_models
    >>> list_models("resnet*")
    >>> with torch.device("meta"):          # count parameters without allocating
    ...     vgg = create_model("vgg16")

Models register themselves with ``@register_model("name")`` on a factory function.
"""
from __future__ import annotations

import fnmatch
from typing import Callable

from torch import nn

from ..core import Registry

__all__ = ["MODELS", "register_model", "create_model", "list_models", "count_parameters"]

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")


def register_model(name: str) -> Callable:
    """Decorator: register a factory ``fn(**kwargs) -> nn.Module`` under ``name``."""
    return MODELS.register(name)


def create_model(name: str, **kwargs) -> nn.Module:
    """Build the model registered as ``name`` (unknown names suggest close matches)."""
    return MODELS.get(name)(**kwargs)


def list_models(pattern: str | None = None) -> list[str]:
    """Registered names, optionally filtered by a shell-style pattern (``'resnet*'``)."""
    names = MODELS.names()
    return [n for n in names if fnmatch.fnmatch(n, pattern)] if pattern else names


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (works on meta-device models)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
