"""Callbacks: small objects the Trainer calls at fixed points of its loop.

The loop in :class:`deepnotes.train.Trainer` is explicit; a callback only adds to it. The hooks,
in the order the Trainer calls them::

    on_fit_start(trainer)
      on_epoch_start(trainer, epoch)
        on_before_optimizer_step(trainer)     gradients are ready (unscaled under AMP, clipped)
        on_batch_end(trainer, step, loss)     ``loss`` is a detached 0-d tensor (no .item() sync)
      on_epoch_end(trainer, logs)             logs: train/val metrics of the epoch; may set
                                              ``trainer.stop_training = True``
      on_log(trainer, step, metrics)          every row the Trainer logs
    on_fit_end(trainer)

A callback with state (early stopping's best value and weights) returns it from ``state_dict``
so a checkpoint carries it and a resumed run continues exactly.

:class:`MetricLogger` writes every logged row to the Run's metrics.jsonl and, when
``torch.utils.tensorboard`` can be imported, to a TensorBoard SummaryWriter in ``run.dir/tensorboard``.
"""
from __future__ import annotations

from typing import Any

import torch

__all__ = ["Callback", "MetricLogger"]


class Callback:
    """Base class: every hook does nothing."""

    def on_fit_start(self, trainer: Any) -> None: ...
    def on_epoch_start(self, trainer: Any, epoch: int) -> None: ...
    def on_before_optimizer_step(self, trainer: Any) -> None: ...
    def on_batch_end(self, trainer: Any, step: int, loss: torch.Tensor) -> None: ...
    def on_epoch_end(self, trainer: Any, logs: dict[str, float]) -> None: ...
    def on_log(self, trainer: Any, step: int, metrics: dict[str, float]) -> None: ...
    def on_fit_end(self, trainer: Any) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class MetricLogger(Callback):
    """Write each logged row to ``run.log`` (metrics.jsonl) and to TensorBoard when available."""

    def __init__(self, run: Any, tensorboard: bool = True):
        self.run = run
        self.tensorboard = tensorboard
        self.writer = None

    def on_fit_start(self, trainer: Any) -> None:
        if not self.tensorboard or self.writer is not None:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # the tensorboard package is optional
            return
        # purge_step drops events a killed run wrote after its last checkpoint.
        self.writer = SummaryWriter(log_dir=str(self.run.dir / "tensorboard"),
                                    purge_step=trainer.step + 1 if trainer.step else None)

    def on_log(self, trainer: Any, step: int, metrics: dict[str, float]) -> None:
        self.run.log(step=step, **metrics)
        if self.writer is not None:
            for name, value in metrics.items():
                if isinstance(value, (int, float)):
                    self.writer.add_scalar(name, value, step)

    def on_fit_end(self, trainer: Any) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
