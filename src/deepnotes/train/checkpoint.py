"""Rotating training checkpoints: safetensors + JSON pairs, written atomically, last K kept.

A checkpoint is the Trainer's whole state (model, optimizer, scheduler, grad scaler, every RNG,
epoch, step, history, callback state) saved with :func:`deepnotes.core.save_state`: tensors go to
``epoch-00003.safetensors``, everything else to ``epoch-00003.json``, each through a temporary
file and a rename, the JSON last. Nothing is pickled, so loading a checkpoint cannot run code.

A run killed at any instant leaves every listed checkpoint complete: a pair whose JSON exists
was finished. A truncated or edited file raises :class:`deepnotes.core.CheckpointError` naming it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..core import CheckpointError, expect, load_state, save_state

__all__ = ["CheckpointManager"]

_NAME = re.compile(r"^epoch-(\d+)\.json$")


class CheckpointManager:
    """Save ``state`` as ``folder/epoch-NNNNN.{json,safetensors}``; keep the newest ``keep_last``."""

    def __init__(self, folder: str | os.PathLike, keep_last: int | None = 3):
        expect(keep_last is None or (isinstance(keep_last, int) and keep_last >= 1), "keep_last",
               "None (keep all) or an int >= 1", keep_last)
        self.folder = Path(folder)
        self.keep_last = keep_last

    def path(self, epoch: int) -> Path:
        return self.folder / f"epoch-{epoch:05d}"

    def epochs(self) -> list[int]:
        """Epochs with a complete checkpoint (its JSON written), oldest first."""
        if not self.folder.is_dir():
            return []
        found = (_NAME.match(p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def save(self, state: Any, epoch: int) -> Path:
        save_state(self.path(epoch), state)
        if self.keep_last is not None:
            for old in self.epochs()[:-self.keep_last]:
                base = self.path(old)
                base.with_suffix(".json").unlink(missing_ok=True)   # the JSON first: no pair half-listed
                base.with_suffix(".safetensors").unlink(missing_ok=True)
        return self.path(epoch)

    def latest(self) -> Path | None:
        epochs = self.epochs()
        return self.path(epochs[-1]) if epochs else None

    def load_latest(self) -> Any | None:
        """The newest checkpoint's state, or None when there is none; corrupt -> CheckpointError."""
        path = self.latest()
        if path is None:
            return None
        state = load_state(path)
        if not isinstance(state, dict) or "model" not in state:
            raise CheckpointError(f"checkpoint: expected a Trainer state with a 'model' entry in "
                                  f"{path.with_suffix('.json')}, got {type(state).__name__}")
        return state
