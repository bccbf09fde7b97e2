"""deepnotes.report: static HTML pages for run folders."""
from __future__ import annotations

from pathlib import Path

__all__ = ["build_report"]


def build_report(directory: str) -> Path:
    raise NotImplementedError("report: not written yet")
