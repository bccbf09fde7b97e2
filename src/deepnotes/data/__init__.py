"""deepnotes.data: embedded and downloadable datasets behind one ``load(name, split=...)``.

Every module here registers its datasets with :func:`register_dataset` and its public names
are re-exported (``from deepnotes.data import make_loader, RandomAffine``).
"""
from __future__ import annotations

from typing import Any

from ..core.exports import export_submodules
from .registry import DATASETS, DatasetInfo, register_dataset

__all__ = ["load", "list", "info", "DATASETS", "DatasetInfo", "register_dataset"]
__all__ += [n for n in export_submodules(__name__, __path__, globals()) if n not in __all__]


def load(name: str, split: str = "train", **options: Any) -> Any:
    """Load dataset ``name`` (see :func:`list`); unknown names suggest close matches."""
    return DATASETS.get(name).loader(split=split, **options)


def info(name: str) -> DatasetInfo:
    return DATASETS.get(name)


def list() -> list[str]:  # noqa: A001 - mirrors timm.list_models
    return DATASETS.names()
