"""deepnotes.experiments: one module per syllabus chapter, each experiment registered by name.

Importing this package imports every chapter module, so ``EXPERIMENTS`` is complete.
"""
from __future__ import annotations

import importlib
import pkgutil

from .registry import EXPERIMENTS, Bar, Experiment, experiment
from .runner import Run, run_experiment

__all__ = ["EXPERIMENTS", "Bar", "Experiment", "experiment", "Run", "run_experiment",
           "list_experiments", "get"]

_PLUMBING = {"registry", "runner", "plotting"}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in _PLUMBING and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")


def list_experiments(chapter: str | None = None) -> list[Experiment]:
    return [e for _, e in EXPERIMENTS.items() if chapter is None or e.chapter == chapter]


def get(name: str) -> Experiment:
    return EXPERIMENTS.get(name)
