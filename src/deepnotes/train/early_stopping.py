"""Early stopping with best-checkpoint restore.

Syllabus: foundations.early_stopping. Notes: 000 L1.15, L2.14; 001 S4.16, S6.02-S6.04, S8.18;
003 L0.24.

After every epoch the monitored validation metric m_e is compared with the best so far:

    improved  <=>  m_e < best - min_delta     (mode "min"; "max" flips the sign)
    wait      =    epochs since the last improvement
    stop      <=>  wait > patience   or   m_e reaches ``threshold``   or   the last epoch ran

and at the end of training the weights of the best epoch are put back. The notes stop at the
first epoch without improvement, i.e. ``patience=0``, the default here; with the validation
losses 1.0, 0.8, 0.7, 0.75, 0.9 training stops after epoch 4 and restores epoch 3's weights,
and with ``patience=1`` it stops after epoch 5 (tests/train/test_early_stopping.py).
"""
from __future__ import annotations

import math
from typing import Any

import torch

from ..core import expect, syllabus
from .callbacks import Callback

__all__ = ["EarlyStopping"]


@syllabus("foundations.early_stopping")
class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for more than ``patience`` epochs; restore the best.

    ``monitor`` names a key of the Trainer's epoch logs (``val_loss``, ``val_acc``, ...).
    ``threshold``: also stop once the metric is at or beyond this value (a loss target).
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int = 0,
                 min_delta: float = 0.0, threshold: float | None = None, restore_best: bool = True):
        expect(mode in ("min", "max"), "mode", "'min' or 'max'", mode)
        expect(isinstance(patience, int) and patience >= 0, "patience", "a non-negative int", patience)
        expect(min_delta >= 0, "min_delta", "a non-negative float", min_delta)
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.min_delta, self.threshold, self.restore_best = float(min_delta), threshold, restore_best
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_state: dict[str, torch.Tensor] | None = None

    def _better(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _reached(self, value: float) -> bool:
        if self.threshold is None:
            return False
        return value <= self.threshold if self.mode == "min" else value >= self.threshold

    def on_epoch_end(self, trainer: Any, logs: dict[str, float]) -> None:
        expect(self.monitor in logs, "EarlyStopping.monitor", f"one of the epoch logs {sorted(logs)}",
               self.monitor, KeyError)
        value = float(logs[self.monitor])
        if self._better(value):
            self.best, self.best_epoch, self.wait = value, int(logs["epoch"]), 0
            if self.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
        else:
            self.wait += 1
        if self.wait > self.patience or self._reached(value):
            self.stopped_epoch = int(logs["epoch"])
            trainer.stop_training = True

    def on_fit_end(self, trainer: Any) -> None:
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_state": self.best_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best_state = state["best_state"]
