"""The training loop: a model, a loss on the training data, an optimizer, written out plainly.

Syllabus: training.training_loop. Notes: 000 L2.02, X.04-X.06; 001 S3.05.

Training is three choices, (1) a model f_theta, (2) a loss averaged over training examples,
(3) an optimizer that lowers it one minibatch at a time:

    for epoch e = 1..E:
        for each minibatch B of a permutation seeded by (seed, e):
            L_B(theta) = (1/|B|) sum_{(x, y) in B} loss(f_theta(x), y)
            g = grad L_B(theta);  g = clip(g)                (optional, by value and/or norm)
            theta = optimizer_step(theta, g);  lr = schedule(step)   (if stepped per step)
        log the epoch's mean training loss and every validation metric;  lr = schedule(epoch)
        checkpoint (model, optimizer, scheduler, RNG states, epoch, step, callback state)

The notes track train and validation loss per epoch, save and restore the model with its
optimizer, and fix a global seed for repeatability; this loop does all three and also makes the
data order a function of (seed, epoch) alone (:mod:`deepnotes.train.data_order`), so that a run
killed at any moment and resumed from its last checkpoint ends with exactly the numbers of an
uninterrupted run on CPU, bit for bit (tests/experiments/test_resume.py).

What the loop adds, each in a few lines below: LR schedules stepped per epoch or per step,
gradient clipping (:mod:`deepnotes.train.clipping`), a guard that stops on the first NaN or
infinite loss with the step and the last finite loss (checked every ``log_every`` steps and at
the end of each epoch, one device sync per check, never one per step), callbacks
(:mod:`deepnotes.train.callbacks`: metric logging, early stopping, ...), rotating checkpoints
(:mod:`deepnotes.train.checkpoint`), DistributedDataParallel under ``torchrun``
(:mod:`deepnotes.train.distributed`), mixed precision and ``torch.compile``.

Mixed precision (``amp=True``): on CUDA, float16 autocast with a GradScaler; on CPU, bfloat16
autocast and no scaler (bfloat16 has float32's exponent range, so no loss scaling is needed).
Other devices are refused with an error. ``compile=True`` wraps the training forward pass in
``torch.compile`` (meant for CUDA; on CPU it works but compiling costs more than it saves on
small models); evaluation runs the eager model.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from torch.utils.data import Dataset, TensorDataset
from torch.utils.data._utils.collate import default_collate

from ..core import NonFiniteLossError, expect, rng_state, set_rng_state, syllabus
from .callbacks import Callback, MetricLogger
from .checkpoint import CheckpointManager
from .clipping import clip_grad_norm_, clip_grad_value_
from .data_order import epoch_batches
from .distributed import all_reduce_sum, init_distributed, wrap_distributed

__all__ = ["Trainer"]

_INTERVALS = ("epoch", "step")


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook)


@syllabus("training.training_loop")
class Trainer:
    """Train ``model`` on ``train_data`` with ``optimizer`` and ``loss_fn(output, target)``.

    ``train_data``/``val_data``: map-style datasets of ``(input..., target)`` tuples (a
    TensorDataset is batched by indexing its tensors, without a DataLoader).
    ``metrics``: ``{name: fn(output, target) -> batch mean}``, evaluated on ``val_data`` and
    logged as ``val_<name>``. ``run``: a :class:`deepnotes.experiments.Run`; with it, rows go to
    metrics.jsonl, checkpoints to ``run.dir/checkpoints`` (every ``checkpoint_every`` epochs,
    the newest ``keep_last`` kept), the final state to ``run.dir/checkpoint``, and under
    ``run.resumed`` :meth:`fit` continues from the newest checkpoint.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 loss_fn: Callable[[Any, torch.Tensor], torch.Tensor], train_data: Dataset,
                 val_data: Dataset | None = None, *, epochs: int, batch_size: int,
                 scheduler: Any = None, scheduler_interval: str = "epoch",
                 callbacks: Iterable[Callback] = (), metrics: dict[str, Callable] | None = None,
                 device: str | torch.device | None = None, seed: int | None = None, run: Any = None,
                 checkpoint_every: int | None = 1, keep_last: int | None = 3,
                 checkpoint_dir: str | Path | None = None, resume: bool | None = None,
                 grad_clip_norm: float | None = None, grad_clip_value: float | None = None,
                 amp: bool = False, amp_dtype: torch.dtype | None = None, compile: bool = False,
                 log_every: int = 50, eval_batch_size: int | None = None, shuffle: bool = True,
                 drop_last: bool = False, tensorboard: bool = True):
        expect(isinstance(model, torch.nn.Module), "model", "a torch.nn.Module", type(model).__name__)
        expect(isinstance(optimizer, torch.optim.Optimizer), "optimizer", "a torch.optim.Optimizer",
               type(optimizer).__name__)
        expect(callable(loss_fn), "loss_fn", "a callable loss_fn(output, target)", loss_fn)
        for name, data in (("train_data", train_data), ("val_data", val_data)):
            expect(data is None or (hasattr(data, "__len__") and hasattr(data, "__getitem__")), name,
                   "a map-style dataset (with __len__ and __getitem__)", type(data).__name__)
        expect(len(train_data) > 0, "train_data", "a non-empty dataset", f"{len(train_data)} examples")
        expect(isinstance(epochs, int) and epochs >= 0, "epochs", "a non-negative int", epochs)
        expect(isinstance(batch_size, int) and batch_size >= 1, "batch_size", "an int >= 1", batch_size)
        expect(scheduler_interval in _INTERVALS, "scheduler_interval", f"one of {_INTERVALS}",
               scheduler_interval)
        expect(checkpoint_every is None or (isinstance(checkpoint_every, int) and checkpoint_every >= 0),
               "checkpoint_every", "None or a non-negative int (epochs)", checkpoint_every)
        for name, v in (("grad_clip_norm", grad_clip_norm), ("grad_clip_value", grad_clip_value)):
            expect(v is None or v > 0, name, "None or a positive number", v)
        expect(isinstance(log_every, int) and log_every >= 0, "log_every", "a non-negative int", log_every)
        metrics = dict(metrics or {})
        for name, fn in metrics.items():
            expect(callable(fn), f"metrics[{name!r}]", "a callable fn(output, target)", fn)

        device = torch.device(device) if device is not None else (run.device if run is not None
                                                                  else torch.device("cpu"))
        expect(not amp or device.type in ("cuda", "cpu"), "amp", "a cuda or cpu device (float16 "
               "autocast with a GradScaler on CUDA, bfloat16 autocast on CPU)", str(device))
        self.dist, self.device = init_distributed(device)
        self.model = model.to(self.device)          # the plain module: state_dict, evaluation
        self.net = wrap_distributed(self.model, self.dist, self.device)   # what trains: DDP or model
        if compile:
            self.net = torch.compile(self.net)
        self.optimizer, self.loss_fn, self.metrics = optimizer, loss_fn, metrics
        self.train_data, self.val_data = train_data, val_data
        self.epochs, self.batch_size = epochs, batch_size
        self.eval_batch_size = eval_batch_size or max(batch_size, 256)
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.seed = seed if seed is not None else (run.seed if run is not None else 0)
        self.shuffle, self.drop_last, self.log_every = shuffle, drop_last, log_every
        self.grad_clip_norm, self.grad_clip_value = grad_clip_norm, grad_clip_value
        self.run = run

        self.amp = bool(amp)
        self.scaler = None
        if self.amp:
            self.amp_dtype = amp_dtype or (torch.float16 if self.device.type == "cuda" else torch.bfloat16)
            if self.amp_dtype == torch.float16:
                self.scaler = torch.amp.GradScaler(self.device.type)

        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            expect(isinstance(cb, Callback), "callbacks", "deepnotes.train.Callback instances",
                   type(cb).__name__)
        if run is not None and self.dist.is_main:
            self.callbacks.append(MetricLogger(run, tensorboard=tensorboard))
        self._step_callbacks = [cb for cb in self.callbacks if _overrides(cb, "on_before_optimizer_step")]
        self._batch_callbacks = [cb for cb in self.callbacks if _overrides(cb, "on_batch_end")]

        folder = checkpoint_dir if checkpoint_dir is not None else (run.dir / "checkpoints" if run else None)
        self.checkpoint_every = checkpoint_every or 0
        self.checkpoints = (CheckpointManager(folder, keep_last)
                            if folder is not None and self.checkpoint_every else None)
        self.resume = bool(run is not None and run.resumed) if resume is None else bool(resume)

        self._params = [p for p in self.model.parameters() if p.requires_grad]
        self._to_device = self.device.type != "cpu"
        self._sampler = None
        if self.dist.enabled:
            from torch.utils.data.distributed import DistributedSampler

            self._sampler = DistributedSampler(train_data, num_replicas=self.dist.world_size,
                                               rank=self.dist.rank, shuffle=shuffle, seed=self.seed,
                                               drop_last=drop_last)
        # Where the loop is: restored by load_state_dict.
        self.epoch = 0                     # epochs completed
        self.step = 0                      # optimizer steps completed
        self.stop_training = False
        self.last_finite_loss: float | None = None
        self.history: list[dict[str, float]] = []

    # -- the loop ----------------------------------------------------------------------------
    def fit(self) -> list[dict[str, float]]:
        """Train until ``epochs`` or a callback stops; return one dict of logs per epoch."""
        if self.resume:
            self._resume()
        for cb in self.callbacks:
            cb.on_fit_start(self)
        while self.epoch < self.epochs and not self.stop_training:
            for cb in self.callbacks:
                cb.on_epoch_start(self, self.epoch)
            logs = {"epoch": self.epoch + 1, **self.train_epoch(self.epoch)}
            if self.val_data is not None:
                logs.update({f"val_{k}": v for k, v in self.evaluate(self.val_data).items()})
            logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
            if self.scheduler is not None and self.scheduler_interval == "epoch":
                self._scheduler_step(logs)
            self.epoch += 1
            for cb in self.callbacks:
                cb.on_epoch_end(self, logs)
            self.history.append(logs)
            self.log(**logs)
            last = self.stop_training or self.epoch == self.epochs
            if self.checkpoints is not None and self.dist.is_main and (
                    self.epoch % self.checkpoint_every == 0 or last):
                self.checkpoints.save(self.state_dict(), self.epoch)
        for cb in self.callbacks:
            cb.on_fit_end(self)
        if self.run is not None and self.dist.is_main:
            self.run.save_checkpoint(self.state_dict())
        return self.history

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over the training data; returns ``{"train_loss": mean over examples}``."""
        self.net.train()
        total, count = 0.0, 0
        losses: list[torch.Tensor] = []     # detached per-step losses not yet checked
        sizes: list[int] = []
        for idx in self._batches(epoch):
            *inputs, target = self._batch(self.train_data, idx)
            loss = self.train_step(inputs, target)
            losses.append(loss)
            sizes.append(len(idx))
            for cb in self._batch_callbacks:
                cb.on_batch_end(self, self.step, loss)
            if self.log_every and self.step % self.log_every == 0:
                values = self._check_finite(losses)
                self.log(batch_loss=sum(values) / len(values))
                total += sum(v * n for v, n in zip(values, sizes))
                count += sum(sizes)
                losses, sizes = [], []
        if losses:
            values = self._check_finite(losses)
            total += sum(v * n for v, n in zip(values, sizes))
            count += sum(sizes)
        if self.dist.enabled:  # the mean over every rank's examples
            total, count = all_reduce_sum(torch.tensor([total, count], dtype=torch.float64,
                                                       device=self.device), self.dist).tolist()
        return {"train_loss": total / max(count, 1)}

    def train_step(self, inputs: list[torch.Tensor], target: torch.Tensor) -> torch.Tensor:
        """Forward, backward, clip, optimizer step (and scheduler step per step); the detached loss."""
        if self.amp:
            with self._autocast():
                output = self.net(*inputs)
                loss = self.loss_fn(output, target)
        else:
            output = self.net(*inputs)
            loss = self.loss_fn(output, target)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)   # clip and inspect true gradients
        else:
            loss.backward()
        if self.grad_clip_value is not None:
            clip_grad_value_(self._params, self.grad_clip_value)
        if self.grad_clip_norm is not None:
            clip_grad_norm_(self._params, self.grad_clip_norm)
        for cb in self._step_callbacks:
            cb.on_before_optimizer_step(self)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()
        self.step += 1
        return loss.detach()

    @torch.no_grad()
    def evaluate(self, data: Dataset, batch_size: int | None = None) -> dict[str, float]:
        """Mean loss and every metric over ``data`` (weighted by batch size), in eval mode."""
        expect(len(data) > 0, "data", "a non-empty dataset", f"{len(data)} examples")
        was_training = self.model.training
        self.model.eval()
        sums = torch.zeros(1 + len(self.metrics), dtype=torch.float64)   # (1 + M,)
        for idx in torch.arange(len(data)).split(batch_size or self.eval_batch_size):
            *inputs, target = self._batch(data, idx)
            with self._autocast():
                output = self.model(*inputs)
                values = [self.loss_fn(output, target)] + [fn(output, target) for fn in self.metrics.values()]
            batch = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=self.device).detach().reshape(())
                                 for v in values])                       # (1 + M,)
            sums += batch.cpu() * len(idx)
        self.model.train(was_training)
        means = (sums / len(data)).tolist()
        return dict(zip(["loss", *self.metrics], means))

    # -- helpers -----------------------------------------------------------------------------
    def log(self, **metrics: float) -> None:
        """Hand one row (at the current step) to every callback's ``on_log``."""
        for cb in self.callbacks:
            cb.on_log(self, self.step, metrics)

    def _batches(self, epoch: int) -> list[torch.Tensor]:
        if self._sampler is not None:
            self._sampler.set_epoch(epoch)
            order = torch.tensor(list(self._sampler), dtype=torch.long)
            batches = list(order.split(self.batch_size))
            if self.drop_last and batches and len(batches[-1]) < self.batch_size:
                batches.pop()
            return batches
        return epoch_batches(len(self.train_data), self.batch_size, self.seed, epoch,
                             shuffle=self.shuffle, drop_last=self.drop_last)

    def _batch(self, data: Dataset, idx: torch.Tensor) -> list[torch.Tensor]:
        if isinstance(data, TensorDataset):
            parts = [t[idx] for t in data.tensors]
        else:
            parts = default_collate([data[i] for i in idx.tolist()])
        if not self._to_device:   # CPU training: a batch is already where it belongs
            return parts
        return [p.to(self.device, non_blocking=True) if isinstance(p, torch.Tensor) else p for p in parts]

    def _autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _check_finite(self, losses: list[torch.Tensor]) -> list[float]:
        """The losses as floats (one sync); the first NaN/inf raises NonFiniteLossError.

        Under DDP every rank must stop together: a rank that raised alone would leave the others
        waiting in the next gradient all-reduce. So the ranks sum a count of non-finite losses
        first, and all of them raise when any one saw one.
        """
        stacked = torch.stack(losses).float()                                # (S,)
        if self.dist.enabled:
            bad = (~torch.isfinite(stacked)).sum().reshape(1).float()        # (1,)
            stacked = torch.cat([stacked, all_reduce_sum(bad, self.dist)])   # (S + 1,)
        values = stacked.tolist()
        if self.dist.enabled:
            values, bad_anywhere = values[:-1], values[-1]
        first_step = self.step - len(values) + 1
        for k, v in enumerate(values):
            if not math.isfinite(v):
                raise NonFiniteLossError(first_step + k, v, self.last_finite_loss)
            self.last_finite_loss = v
        if self.dist.enabled and bad_anywhere > 0:   # another rank saw it: stop with it
            raise NonFiniteLossError(first_step, float("nan"), self.last_finite_loss)
        return values

    def _scheduler_step(self, logs: dict[str, float]) -> None:
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
        else:
            self.scheduler.step()

    # -- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: weights, optimizer, scheduler, RNGs, position."""
        return {"format": "deepnotes-trainer/1",
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "rng": rng_state(),
                "epoch": self.epoch, "step": self.step, "stop_training": self.stop_training,
                "last_finite_loss": self.last_finite_loss, "history": self.history,
                "callbacks": {f"{i}:{type(cb).__name__}": cb.state_dict()
                              for i, cb in enumerate(self.callbacks)}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler") is not None:
            self.scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.stop_training = bool(state["stop_training"])
        self.last_finite_loss = state["last_finite_loss"]
        self.history = [dict(row) for row in state["history"]]
        saved = state.get("callbacks", {})
        for i, cb in enumerate(self.callbacks):
            key = f"{i}:{type(cb).__name__}"
            if key in saved:
                cb.load_state_dict(saved[key])

    def _resume(self) -> None:
        """Continue from the newest checkpoint (none yet: start over) and drop later log rows."""
        state = self.checkpoints.load_latest() if self.checkpoints is not None else None
        if state is not None:
            self.load_state_dict(state)
        if self.run is not None and self.dist.is_main:
            self.run.truncate_metrics(self.step if state is not None else -1)
