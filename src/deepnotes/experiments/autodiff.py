"""Autodiff experiments: backprop against finite differences everywhere, and the 8-3-8 encoder.

``gradient-check-suite``  central differences (float64, h = 1e-6) against backprop for
                          activations, losses and layers (torch's and deepnotes'), the teaching
                          engine's MLP, Hessians (double backward), vector-Jacobian products with
                          one-hot seeds, and fan-out accumulation; one max relative error each.
``encoder-838``           the 8-3-8 sigmoid encoder trained by plain gradient descent with the
                          teaching engine (``deepnotes.autodiff.Tensor``), plus 10 seeds at once
                          with torch autograd: is the hidden code a distinct, near-binary 3-bit code?
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .. import losses as dn_losses
from .. import nn as dn_nn
from ..autodiff import (EngineMLP, Tensor, cross_entropy, engine_sgd_step, gradcheck, gradcheck_module, hessian,
                        identity_838_task, train_838_encoders)
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["GradientCheckSuiteConfig", "Encoder838Config"]


# ----------------------------------------------------------------------------------------------
# gradient check suite
# ----------------------------------------------------------------------------------------------
@dataclass
class GradientCheckSuiteConfig:
    eps: float = 1e-6
    tol: float = 1e-6
    size: int = 3                  # feature sizes of the checked layers
    include_deepnotes_layers: bool = True


def _randn(g: torch.Generator, *shape, away_from_zero: bool = False) -> torch.Tensor:
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    if away_from_zero:                                    # ReLU/abs kinks: stay 0.1 away from 0
        x = x.sign() * (x.abs() + 0.1)
    return x.requires_grad_()


def _function_cases(g: torch.Generator, n: int) -> dict[str, Callable[[], tuple]]:
    target = torch.randint(n, (4,), generator=g)
    prob = torch.rand(4, n, generator=g, dtype=torch.float64)
    ce = getattr(dn_losses, "cross_entropy", F.cross_entropy)
    mse = getattr(dn_losses, "mse_loss", F.mse_loss)
    bce = getattr(dn_losses, "binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits)
    return {
        "sigmoid": lambda: (torch.sigmoid, _randn(g, 4, n)),
        "tanh": lambda: (torch.tanh, _randn(g, 4, n)),
        "relu (away from 0)": lambda: (F.relu, _randn(g, 4, n, away_from_zero=True)),
        "softmax": lambda: (lambda z: torch.softmax(z, -1), _randn(g, 4, n)),
        "log_softmax": lambda: (lambda z: torch.log_softmax(z, -1), _randn(g, 4, n)),
        "cross_entropy (deepnotes)": lambda: (lambda z: ce(z, target), _randn(g, 4, n)),
        "mse_loss (deepnotes)": lambda: (lambda a: mse(a, prob), _randn(g, 4, n)),
        "bce_with_logits (deepnotes)": lambda: (lambda z: bce(z, prob), _randn(g, 4, n)),
    }


def _layer_cases(g: torch.Generator, n: int, deepnotes_layers: bool) -> dict[str, Callable[[], tuple]]:
    torch.manual_seed(int(torch.randint(10 ** 6, (1,), generator=g)))
    cases = {
        "torch Linear": lambda: (torch.nn.Linear(n, 2), _randn(g, 4, n)),
        "torch Conv2d": lambda: (torch.nn.Conv2d(2, 2, 3, padding=1), _randn(g, 1, 2, 4, 4)),
        "torch LSTM": lambda: (_first(torch.nn.LSTM(n, 2, batch_first=True)), _randn(g, 2, 3, n)),
        "torch GRU": lambda: (_first(torch.nn.GRU(n, 2, batch_first=True)), _randn(g, 2, 3, n)),
        "torch LayerNorm": lambda: (torch.nn.LayerNorm(n), _randn(g, 4, n)),
    }
    if deepnotes_layers:
        for name, make in {"Linear": lambda: dn_nn.Linear(n, 2), "Conv2d": lambda: dn_nn.Conv2d(2, 2, 3, padding=1),
                           "LSTM": lambda: _first(dn_nn.LSTM(n, 2, batch_first=True)),
                           "GRU": lambda: _first(dn_nn.GRU(n, 2, batch_first=True)),
                           "RNN": lambda: _first(dn_nn.RNN(n, 2, batch_first=True)),
                           "LayerNorm": lambda: dn_nn.LayerNorm(n),
                           "BatchNorm1d": lambda: dn_nn.BatchNorm1d(n)}.items():
            if not hasattr(dn_nn, name):
                continue
            shape = (1, 2, 4, 4) if name == "Conv2d" else (2, 3, n) if name in ("LSTM", "GRU", "RNN") else (4, n)
            cases[f"deepnotes {name}"] = (lambda make=make, shape=shape: (make(), _randn(g, *shape)))
    return cases


class _First(torch.nn.Module):
    """Keep the output sequence of a recurrent layer that returns (output, state)."""

    def __init__(self, layer: torch.nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


def _first(layer: torch.nn.Module) -> torch.nn.Module:
    return _First(layer)


def _engine_mlp_error(g: torch.Generator, eps: float) -> float:
    """Max relative error of the teaching engine's MLP gradients against central differences."""
    seed = int(torch.randint(10 ** 6, (1,), generator=g))
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(5, 4)), rng.integers(0, 3, size=5)
    model = EngineMLP([4, 3, 3], activation="tanh", seed=seed)
    cross_entropy(model(Tensor(x)), y).backward()
    worst = 0.0
    for p in model.parameters():
        analytic = p.grad.copy()
        for i in np.ndindex(p.data.shape):
            old = p.data[i]
            p.data[i] = old + eps
            up = cross_entropy(model(Tensor(x)), y).data
            p.data[i] = old - eps
            down = cross_entropy(model(Tensor(x)), y).data
            p.data[i] = old
            num = (up - down) / (2 * eps)
            worst = max(worst, abs(analytic[i] - num) / max(abs(analytic[i]), abs(num), 1e-3))
    return float(worst)


def _hessian_error(g: torch.Generator) -> float:
    """Double-backward Hessian of a small MLP loss against central differences of its gradient."""
    w_true = torch.randn(3, generator=g, dtype=torch.float64)
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    f = lambda w: torch.tanh(x @ w).pow(2).sum() + (w ** 4).sum() / 10  # noqa: E731
    H = hessian(f, w_true)

    def grad_at(w):
        w = w.clone().requires_grad_()
        return torch.autograd.grad(f(w), w)[0]

    h = 1e-5
    num = torch.stack([(grad_at(w_true + h * e) - grad_at(w_true - h * e)) / (2 * h)
                       for e in torch.eye(3, dtype=torch.float64)])
    return ((H - num).abs() / torch.maximum(H.abs().maximum(num.abs()), torch.tensor(1e-3))).max().item()


def _vjp_error(g: torch.Generator) -> float:
    """Engine VJPs with one-hot seeds against rows of torch.autograd.functional.jacobian."""
    x0 = torch.randn(2, 3, generator=g, dtype=torch.float64)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda x: torch.softmax(torch.tanh(x @ w), -1), x0)  # (2,4,2,3)
    worst = 0.0
    for i in range(2):
        for j in range(4):
            xt = Tensor(x0.numpy(), requires_grad=True)
            seed = np.zeros((2, 4))
            seed[i, j] = 1.0
            (xt @ Tensor(w.numpy())).tanh().softmax(axis=-1).backward(gradient=seed)
            ref = jac[i, j].numpy()
            worst = max(worst, float(np.max(np.abs(xt.grad - ref) / np.maximum(np.abs(ref), 1e-3))))
    return worst


def _fan_out_error(g: torch.Generator) -> float:
    """f(x) = x.x + x through the engine: df/dx must be 2x + 1 (the sum over both uses)."""
    x = Tensor(torch.randn(5, generator=g, dtype=torch.float64).numpy(), requires_grad=True)
    (x * x + x).sum().backward()
    return float(np.max(np.abs(x.grad - (2 * x.data + 1)) / np.maximum(np.abs(2 * x.data + 1), 1e-3)))


@experiment("gradient-check-suite", chapter="autodiff", exp_id="exp.autodiff.gradient_check_suite",
            items=["autodiff.backprop", "autodiff.computational_graph", "autodiff.gradient_check",
                   "autodiff.gradient_accumulation", "autodiff.input_gradients",
                   "autodiff.higher_order_gradients"],
            bars=[Bar("max_rel_error", "<", 1e-6, "every layer, loss and tool, away from kinks"),
                  Bar("wrong_backward_rel_error", ">", 1e-2, "a deliberately wrong backward is flagged")],
            quick=dict(include_deepnotes_layers=False), budget="~20 s on 2 busy CPU cores")
def gradient_check_suite(cfg: GradientCheckSuiteConfig, run: Run) -> dict:
    """Backprop vs finite differences for every layer and loss."""
    plt = _plt()
    g = run.generator
    errors: dict[str, float] = {}
    skipped: list[str] = []
    for name, make in _function_cases(g, cfg.size).items():
        fn, x = make()
        errors[name] = gradcheck(fn, x, eps=cfg.eps, tol=cfg.tol).max_rel_error
    for name, make in _layer_cases(g, cfg.size, cfg.include_deepnotes_layers).items():
        try:
            layer, x = make()
        except Exception as e:                 # a constructor that differs from torch's: report it
            skipped.append(f"{name}: {type(e).__name__}: {e}")
            continue
        layer = layer.double()
        errors[name] = gradcheck_module(layer, x, eps=cfg.eps, tol=cfg.tol).max_rel_error
    errors["engine MLP (backprop)"] = _engine_mlp_error(g, cfg.eps)
    errors["Hessian (double backward)"] = _hessian_error(g)
    errors["engine VJP, one-hot seeds"] = _vjp_error(g)
    errors["engine fan-out x.x + x"] = _fan_out_error(g)

    class WrongTanh(torch.autograd.Function):        # d tanh = 1 - y, not 1 - y^2
        @staticmethod
        def forward(ctx, x):
            y = torch.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, d):
            (y,) = ctx.saved_tensors
            return d * (1 - y)

    wrong = gradcheck(WrongTanh.apply, _randn(g, 6), eps=cfg.eps, tol=cfg.tol).max_rel_error
    for i, (name, err) in enumerate(errors.items()):
        run.log(step=i, case=name, max_rel_error=err)
    for s in skipped:
        run.log(skipped=s)

    fig, ax = plt.subplots(figsize=(8, 0.3 * len(errors) + 1.5))
    names = list(errors) + ["deliberately wrong tanh backward"]
    vals = [max(errors[n], 1e-18) for n in errors] + [wrong]
    ax.barh(names, vals, color=["C0"] * len(errors) + ["C3"])
    ax.axvline(cfg.tol, color="k", ls="--", label=f"tolerance {cfg.tol:g}")
    ax.set(xscale="log", xlabel="max relative error vs central differences (float64)",
           title="Backprop vs finite differences")
    ax.invert_yaxis()
    ax.legend()
    run.save_figure(fig, "gradient_check_suite")
    worst = max(errors, key=errors.get)
    return {"max_rel_error": errors[worst], "wrong_backward_rel_error": wrong, "cases_checked": float(len(errors)),
            "cases_skipped": float(len(skipped))}


# ----------------------------------------------------------------------------------------------
# the 8-3-8 encoder
# ----------------------------------------------------------------------------------------------
@dataclass
class Encoder838Config:
    steps: int = 3000
    lr: float = 5.0
    seeds: int = 10                # networks trained side by side (torch autograd) for the seed study


@experiment("encoder-838", chapter="autodiff", exp_id="exp.autodiff.encoder_838",
            items=["autodiff.identity_838_task", "autodiff.backprop", "training.sigmoid", "training.mlp"],
            bars=[Bar("patterns_reconstructed", "==", 8.0, "all 8 patterns reconstructed (engine-trained net)"),
                  Bar("distinct_binary_codes", "==", 8.0, "hidden codes rounded to {0,1} are 8 distinct codes"),
                  Bar("mean_distance_from_binary", "<=", 0.15, "near-binary hidden activations"),
                  Bar("seed_success_fraction", ">=", 0.7, "a binary code in >= 7 of 10 seeds")],
            quick=dict(steps=100, seeds=2), budget="~40 s on 2 busy CPU cores")
def encoder_838(cfg: Encoder838Config, run: Run) -> dict:
    """8-3-8 encoder learns a binary code by backprop."""
    plt = _plt()
    x, target = identity_838_task()
    labels = target.argmax(1).numpy()
    model = EngineMLP([8, 3, 8], activation="sigmoid", seed=run.seed)
    xs = Tensor(x.numpy())
    for step in range(cfg.steps):
        loss = cross_entropy(model(xs), labels)
        loss.backward()
        engine_sgd_step(model.parameters(), cfg.lr)
        if step % 50 == 0 or step == cfg.steps - 1:
            run.log(step=step, loss=float(loss.data))
    (w1, b1), _ = model.layers
    hidden = (xs @ w1.T + b1).sigmoid().data                           # (8, 3)
    out = model(xs).data.argmax(1)
    codes = np.round(hidden).astype(int)
    metrics = {"patterns_reconstructed": float((out == labels).sum()),
               "distinct_binary_codes": float(len({tuple(c) for c in codes})),
               "mean_distance_from_binary": float(np.abs(hidden - codes).mean()),
               "final_loss": float(loss.data)}
    batch = train_838_encoders(seeds=cfg.seeds, steps=cfg.steps, lr=cfg.lr, seed=run.seed)
    metrics["seed_success_fraction"] = batch.success.double().mean().item()
    metrics["seed_reconstructed_fraction"] = batch.reconstructed.double().mean().item()

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    im = a1.imshow(hidden, cmap="gray_r", vmin=0, vmax=1)
    for i in range(8):
        for j in range(3):
            a1.text(j, i, f"{hidden[i, j]:.2f}", ha="center", va="center",
                    color="r" if 0.2 < hidden[i, j] < 0.8 else "tab:blue", fontsize=8)
    a1.set(title="Hidden code per one-hot input (engine, GD)", xlabel="hidden unit", ylabel="input pattern",
           xticks=range(3), yticks=range(8), yticklabels=["".join("1" if k == i else "0" for k in range(8))
                                                           for i in range(8)])
    fig.colorbar(im, ax=a1)
    a2.semilogy(batch.losses.numpy(), lw=0.8)
    a2.set(title=f"{cfg.seeds} seeds (torch): {int(batch.success.sum())} find a binary code",
           xlabel="step", ylabel="cross-entropy")
    run.save_figure(fig, "encoder_838")
    return metrics
