"""deepnotes.data: embedded and downloadable datasets behind one ``load(name, split=...)``."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from .registry import DATASETS, DatasetInfo, register_dataset

__all__ = ["load", "list", "info", "DATASETS", "DatasetInfo", "register_dataset"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "registry" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")


def load(name: str, split: str = "train", **options: Any) -> Any:
    """Load dataset ``name`` (see :func:`list`); unknown names suggest close matches."""
    return DATASETS.get(name).loader(split=split, **options)


def info(name: str) -> DatasetInfo:
    return DATASETS.get(name)


def list() -> list[str]:  # noqa: A001 - mirrors timm.list_models
    return DATASETS.names()
