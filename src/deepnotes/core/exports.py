"""Re-export every submodule's ``__all__`` from its package.

Families such as ``deepnotes.nn`` grow one module per idea; their ``__init__`` calls
:func:`export_submodules` so ``from deepnotes.nn import LSTM`` works without a hand-kept list
(and without merge conflicts when several chapters add layers at once).
"""
from __future__ import annotations

import importlib
import pkgutil
import types
from typing import Any

__all__ = ["export_submodules"]


def export_submodules(package: str, path: list[str], namespace: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for name in getattr(module, "__all__", []):
            existing = namespace.get(name)
            # A submodule named like an export (alexnet.py exporting alexnet) is not a clash:
            # the import system set the package attribute to the submodule; the export wins.
            own_submodule = isinstance(existing, types.ModuleType) and existing.__name__.startswith(package + ".")
            if name in namespace and existing is not getattr(module, name) and not own_submodule:
                raise ImportError(f"{package}: {name!r} is exported by two submodules")
            namespace[name] = getattr(module, name)
            names.append(name)
    return names
