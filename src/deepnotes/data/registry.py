"""The dataset registry behind :func:`deepnotes.data.load`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.registry import Registry

__all__ = ["DatasetInfo", "DATASETS", "register_dataset"]


@dataclass
class DatasetInfo:
    """``loader(split=..., **options)`` returns a torch Dataset (or tensors for tiny sets)."""

    name: str
    loader: Callable[..., Any]
    description: str
    embedded: bool = True          # False: downloaded on demand into the cache
    splits: tuple[str, ...] = ("train", "val", "test")
    tags: tuple[str, ...] = field(default_factory=tuple)


DATASETS: Registry[DatasetInfo] = Registry("dataset")


def register_dataset(name: str, *, description: str, embedded: bool = True,
                     splits: tuple[str, ...] = ("train", "val", "test"),
                     tags: tuple[str, ...] = ()) -> Callable:
    def add(loader: Callable) -> Callable:
        DATASETS.register(name, DatasetInfo(name, loader, description, embedded, splits, tags))
        return loader
    return add
