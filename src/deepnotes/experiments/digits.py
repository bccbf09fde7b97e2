"""Digit classifiers trained with the Trainer: an MLP and a small CNN on scikit-learn's 8x8 digits.

``digits-mlp``: a 64-H-10 ReLU MLP, a^(1) = relu(W1 x + b1), logits = W2 a^(1) + b2, trained
with Adam on the cross-entropy, with early stopping on the validation loss (the best epoch's
weights restored).
``digits-cnn``: conv(3x3) -> relu -> conv(3x3) -> relu -> max-pool(2) -> flatten -> FC -> relu ->
FC, trained the same way with gradient clipping by global norm. torch.nn layers for now.

Both save a checkpoint every epoch (``--resume RUN_DIR`` continues a killed run and ends with
the same numbers, bit for bit on CPU), log train/validation curves to metrics.jsonl, and draw the
curves and a grid of test images with predicted and true labels.
Data: the fixed stratified split of ``deepnotes.data.load("digits")`` (1078 / 359 / 360).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .. import data
from ..train import EarlyStopping, Trainer
from .registry import Bar, experiment
from .runner import Run

__all__ = ["DigitsMLPConfig", "DigitsCNNConfig"]


@dataclass
class DigitsMLPConfig:
    hidden: int = 128
    epochs: int = 60
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    optimizer: Literal["adam", "sgd"] = "adam"
    patience: Optional[int] = 15          # early stopping on val_loss; None: train all epochs
    grad_clip_norm: Optional[float] = None
    checkpoint_every: int = 1
    amp: bool = False             # CUDA: float16 autocast + GradScaler; CPU: bfloat16 autocast
    compile: bool = False         # torch.compile the training forward pass (for CUDA)

    def __post_init__(self):
        for name in ("hidden", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected an int >= 1, got {getattr(self, name)!r}")


@dataclass
class DigitsCNNConfig:
    channels: int = 16
    hidden: int = 128
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    optimizer: Literal["adam", "sgd"] = "adam"
    patience: Optional[int] = 10
    grad_clip_norm: Optional[float] = 1.0
    checkpoint_every: int = 1
    amp: bool = False             # CUDA: float16 autocast + GradScaler; CPU: bfloat16 autocast
    compile: bool = False         # torch.compile the training forward pass (for CUDA)

    def __post_init__(self):
        for name in ("channels", "hidden", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected an int >= 1, got {getattr(self, name)!r}")


def _mlp(hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))   # (B, 64) -> (B, 10)


def _cnn(channels: int, hidden: int) -> nn.Module:
    c = channels
    return nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1), nn.ReLU(),          # (B, c, 8, 8)
        nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(),      # (B, 2c, 8, 8)
        nn.MaxPool2d(2),                                   # (B, 2c, 4, 4)
        nn.Flatten(),                                      # (B, 32c)
        nn.Linear(32 * c, hidden), nn.ReLU(),              # (B, hidden)
        nn.Linear(hidden, 10))                             # (B, 10)


def _accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (output.argmax(dim=1) == target).float().mean()


def _fit_classifier(model: nn.Module, cfg, run: Run, flatten: bool) -> dict[str, float]:
    train, val, test = (data.load("digits", split=s, flatten=flatten) for s in ("train", "val", "test"))
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    callbacks = [EarlyStopping("val_loss", patience=cfg.patience)] if cfg.patience is not None else []
    trainer = Trainer(model, opt, F.cross_entropy, train, val, epochs=cfg.epochs, batch_size=cfg.batch_size,
                      metrics={"acc": _accuracy}, callbacks=callbacks, run=run,
                      checkpoint_every=cfg.checkpoint_every, grad_clip_norm=cfg.grad_clip_norm,
                      amp=cfg.amp, compile=cfg.compile, log_every=10)
    history = trainer.fit()
    result = trainer.evaluate(test)
    best = callbacks[0].best_epoch if callbacks else len(history)
    _plot_curves(history, best, run)
    _plot_predictions(trainer.model, test, run)
    best_row = history[best - 1] if history else {}
    return {"test_acc": result["acc"], "test_loss": result["loss"],
            "val_acc": best_row.get("val_acc", float("nan")), "best_epoch": float(best),
            "epochs_run": float(len(history)), "final_train_loss": history[-1]["train_loss"] if history else float("nan")}


def _plot_curves(history: list[dict], best_epoch: int, run: Run) -> None:
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(ep, [h["train_loss"] for h in history], label="train")
    a.plot(ep, [h["val_loss"] for h in history], label="validation")
    a.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    b.plot(ep, [h["val_acc"] for h in history], color="C1")
    b.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
    for ax in (a, b):
        ax.axvline(best_epoch, color="gray", ls=":", label="best epoch (restored)")
        ax.grid(alpha=0.3)
    a.legend()
    fig.tight_layout()
    run.save_figure(fig, "curves")


@torch.no_grad()
def _plot_predictions(model: nn.Module, test, run: Run, rows: int = 4, cols: int = 8) -> None:
    """One mosaic of test digits (one axes, cheap to draw), each titled predicted / true."""
    import matplotlib.pyplot as plt

    n = rows * cols
    x, y = test.tensors[0][:n], test.tensors[1][:n]
    model.eval()
    device = next(model.parameters()).device
    pred = model(x.to(device)).argmax(dim=1).cpu()                       # (n,)
    tiles = torch.zeros(rows, cols, 12, 10)                              # room for a label above
    tiles[:, :, 3:11, 1:9] = x.reshape(rows, cols, 8, 8)
    mosaic = tiles.permute(0, 2, 1, 3).reshape(rows * 12, cols * 10)     # (12 rows, 10 cols)
    fig, ax = plt.subplots(figsize=(cols * 0.9, rows * 1.1))
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
    for k in range(n):
        r, c = divmod(k, cols)
        ok = bool(pred[k] == y[k])
        ax.text(c * 10 + 4.5, r * 12 + 1.3, f"{pred[k].item()} / {y[k].item()}", ha="center", va="center",
                fontsize=7, color="green" if ok else "red")
    ax.set_axis_off()
    ax.set_title("test digits: predicted / true (red: wrong)", fontsize=9)
    run.save_figure(fig, "predictions")


@experiment("digits-mlp", chapter="training",
            items=["training.mlp", "training.relu", "training.training_loop", "foundations.early_stopping"],
            bars=[Bar("test_acc", ">=", 0.97)], quick=dict(epochs=2), budget="~10 s CPU (one thread)")
def digits_mlp(cfg: DigitsMLPConfig, run: Run) -> dict[str, float]:
    """A 64-128-10 ReLU MLP on 8x8 digits, trained by the Trainer with early stopping."""
    return _fit_classifier(_mlp(cfg.hidden), cfg, run, flatten=True)


@experiment("digits-cnn", chapter="cnn",
            items=["cnn.cnn_classifier", "cnn.max_pool", "training.training_loop",
                   "optimization.gradient_clipping"],
            bars=[Bar("test_acc", ">=", 0.98)], quick=dict(epochs=1, channels=8), budget="~10 s CPU (one thread)")
def digits_cnn(cfg: DigitsCNNConfig, run: Run) -> dict[str, float]:
    """A small CNN (two 3x3 convs, max-pool, two FC layers) on 8x8 digits, trained by the Trainer."""
    return _fit_classifier(_cnn(cfg.channels, cfg.hidden), cfg, run, flatten=False)
