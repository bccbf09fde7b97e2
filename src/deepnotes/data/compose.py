"""Chaining transforms, and applying them to a dataset's inputs on the fly (labels untouched)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from torch.utils.data import Dataset

from ..core import expect

__all__ = ["Compose", "TransformedDataset"]


class Compose:
    """``Compose([t1, t2])(x)`` = t2(t1(x))."""

    def __init__(self, transforms: Sequence[Callable]):
        bad = [t for t in transforms if not callable(t)]
        expect(not bad, "transforms", "a sequence of callables", bad)
        self.transforms = list(transforms)

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class TransformedDataset(Dataset):
    """Items (transform(x), y, ...) of a dataset of (x, y, ...): a fresh draw at every access."""

    def __init__(self, dataset: Dataset, transform: Callable):
        expect(callable(transform), "transform", "a callable", transform)
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, i: int):
        x, *rest = self.dataset[i]
        return (self.transform(x), *rest)
