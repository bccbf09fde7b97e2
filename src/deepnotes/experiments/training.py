"""Training-chapter experiments: initialisation and depth, normalisation, ensembles and dropout,
augmentation robustness, and the ablation protocol.

Syllabus: exp.training.initialization_depth, exp.training.normalization,
exp.training.ensembles_dropout, exp.training.augmentation_robustness, exp.training.ablation_protocol;
this module also carries training.vanishing_gradients (:func:`layer_gradient_norms`) and
training.ablation_protocol (:func:`ablation_study`).
Notes: 001 S6.10-S6.11, S13.38; 002 §4.3-§4.6; 000 L2.92-L2.96.

Vanishing gradients: by the chain rule the gradient reaching layer l is a product of
(L - l) Jacobians W^T diag(phi'(z)); with sigmoid (phi' <= 1/4) the product shrinks geometrically
with depth, ReLU + He keeps its scale, and a skip connection adds the identity to every factor
(I + W^T diag(phi')), so the signal has a path that never shrinks.

Ablation: for each component c, retrain with c removed, all else (data, seeds, budget) fixed, and
report delta_c = metric(full) - metric(without c) as a mean over seeds with its standard error
(paired by seed); a component that is a true no-op gets delta = 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import data
from ..core import expect, syllabus
from ..nn import (MLP, AveragedModel, Dropout, Linear, MultiHeadEnsemble, ReLU, SnapshotEnsemble,
                  BatchNorm1d, bagging_indices, calculate_gain, hard_vote, init_weights_,
                  snapshot_lr, soft_vote, update_bn)
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["layer_gradient_norms", "ablation_study", "InitDepthConfig", "NormalizationConfig",
           "EnsemblesConfig", "AugmentationConfig", "AblationConfig"]


# ---------------------------------------------------------------------------------------------
# Library pieces carried here: per-layer gradient norms and the ablation protocol
# ---------------------------------------------------------------------------------------------
@syllabus("training.vanishing_gradients")
def layer_gradient_norms(model: MLP, x: Tensor, target: Tensor) -> list[float]:
    """||dL/dW_l|| (Frobenius) for every hidden layer of ``model`` under the MSE loss to ``target``."""
    expect(isinstance(model, MLP), "model", "a deepnotes.nn.MLP", type(model).__name__, TypeError)
    model.zero_grad()
    loss = F.mse_loss(model(x), target)
    loss.backward()
    return [layer.weight.grad.norm().item() for layer in model.layers]


@syllabus("training.ablation_protocol")
def ablation_study(train_eval: Callable[[frozenset, int], float], components: Sequence[str],
                   seeds: Sequence[int]) -> dict[str, dict[str, float]]:
    """Remove one component at a time; delta = metric(full) - metric(without c), paired by seed.

    ``train_eval(removed, seed)`` trains and evaluates the system without the components in
    ``removed`` (a frozenset) and returns the metric. Returns, per component, the mean delta, its
    standard error over seeds (0 for one seed), and the full system's mean metric.
    """
    expect(len(seeds) >= 1, "seeds", "at least one seed", list(seeds))
    expect(len(set(components)) == len(components), "components", "distinct names", list(components))
    full = {s: train_eval(frozenset(), s) for s in seeds}
    out: dict[str, dict[str, float]] = {}
    for c in components:
        deltas = np.array([full[s] - train_eval(frozenset({c}), s) for s in seeds], dtype=float)
        se = float(deltas.std(ddof=1) / math.sqrt(len(deltas))) if len(deltas) > 1 else 0.0
        out[c] = {"delta": float(deltas.mean()), "se": se, "full": float(np.mean(list(full.values())))}
    return out


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------
def _tensors(ds) -> tuple[Tensor, Tensor]:
    return ds.tensors[0], ds.tensors[1]


def _fit(model: nn.Module, x: Tensor, y: Tensor, *, epochs: int, lr: float, batch_size: int,
         generator: torch.Generator, optimizer: str = "adam", lr_fn: Callable[[int], float] | None = None,
         on_epoch: Callable[[int], None] | None = None, log: list | None = None) -> nn.Module:
    """Minibatch cross-entropy training; ``log`` collects each step's loss."""
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr))
    step = 0
    for epoch in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=generator).split(batch_size):
            if lr_fn is not None:
                for g in opt.param_groups:
                    g["lr"] = lr_fn(step)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if log is not None:
                log.append(loss.item())
        if on_epoch is not None:
            on_epoch(epoch)
    return model.eval()


@torch.no_grad()
def _probs(model: nn.Module, x: Tensor) -> Tensor:
    return model.eval()(x).softmax(-1)


def _nll(p: Tensor, y: Tensor) -> float:
    return F.nll_loss(p.clamp_min(1e-12).log(), y).item()


def _acc(p: Tensor, y: Tensor) -> float:
    return (p.argmax(-1) == y).float().mean().item()


def _standardized_digits() -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    xtr, ytr = _tensors(data.load("digits", split="train", flatten=True))
    xva, yva = _tensors(data.load("digits", split="val", flatten=True))
    xte, yte = _tensors(data.load("digits", split="test", flatten=True))
    std = data.Standardize().fit(xtr)                        # training statistics only
    return std(xtr), ytr, std(xva), yva, std(xte), yte


# ---------------------------------------------------------------------------------------------
# exp.training.initialization_depth
# ---------------------------------------------------------------------------------------------
@dataclass
class InitDepthConfig:
    depth: int = 50              # forward-statistics nets
    width: int = 512             # wide, so finite-width fluctuations stay small
    n: int = 128                 # Gaussian inputs
    seeds: int = 3               # networks averaged for the settings with a bar
    grad_depth: int = 20         # vanishing-gradient nets (narrow, as the classic demo)
    grad_width: int = 32
    dead_depth: int = 10         # dead-ReLU count on standardised digits
    dead_width: int = 32
    dead_seeds: int = 10


def _preacts(depth, width, activation, scheme, seed, n, gain=1.0, std=0.01, bias=0.0,
             dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    net = MLP(width, [width] * depth, 1, activation=activation).to(dtype)
    init_weights_(net, scheme, gain=gain, std=std, bias=bias, generator=g)
    x = torch.randn(n, width, generator=g, dtype=dtype)
    with torch.no_grad():
        _, pre = net(x, return_hidden=True)
    return x, pre


@experiment("init-depth", chapter="training", exp_id="exp.training.initialization_depth",
            items=["training.dense_layer", "training.tanh", "training.relu", "training.sigmoid",
                   "training.normal_init", "training.xavier_init", "training.he_init",
                   "training.orthogonal_init", "training.positive_bias_init",
                   "training.vanishing_gradients", "training.step_activation", "training.mlp",
                   "training.input_standardization"],
            bars=[Bar("tiny_init_std_decay_10_layers", ">=", 1e3, "N(0, 1e-4) collapses tanh activations"),
                  Bar("xavier_tanh_var_factor", "<=", 2.0, "Xavier (tanh gain) keeps variance within x2"),
                  Bar("he_relu_moment_factor", "<=", 2.0, "He keeps the ReLU second moment within x2"),
                  Bar("step_grad_norm", "<=", 0.0, "step activations give zero gradients"),
                  Bar("sigmoid_normal_grad_ratio", "<=", 1e-3, "sigmoid + N(0,1): first/last gradient"),
                  Bar("relu_he_grad_log10_ratio_abs", "<=", 1.0, "ReLU + He: ratio in [0.1, 10]"),
                  Bar("residual_grad_log10_ratio_abs", "<=", 1.0, "residual tanh net: ratio in [0.1, 10]"),
                  Bar("dead_unit_reduction", ">", 0.0, "bias 0.1 leaves fewer dead ReLUs than bias 0")],
            quick=dict(depth=10, width=32, n=32, seeds=1, grad_depth=6, grad_width=16, dead_seeds=2),
            budget="~20 s on 2 CPU cores")
def init_depth(cfg: InitDepthConfig, run: Run) -> dict[str, float]:
    """Initialisation and activation choices in deep networks: activations, gradients, dead units."""
    plt = _plt()
    base = run.seed * 1000
    settings = {  # name: (activation, scheme, gain, std)
        "tanh N(0,1e-4)": ("tanh", "normal", 1.0, 0.01),
        "tanh Xavier (gain 5/3)": ("tanh", "xavier", calculate_gain("tanh"), 0.01),
        "tanh Xavier (gain 1)": ("tanh", "xavier", 1.0, 0.01),
        "ReLU He": ("relu", "he", 1.0, 0.01),
        "ReLU Xavier": ("relu", "xavier", 1.0, 0.01),
        "linear orthogonal": ("identity", "orthogonal", 1.0, 0.01),
    }
    var, second, hists = {}, {}, {}
    for name, (act, scheme, gain, std) in settings.items():
        vs, ms = [], []
        seeds = cfg.seeds if name in ("tanh Xavier (gain 5/3)", "ReLU He") else 1
        dtype = torch.float64 if scheme == "normal" else torch.float32   # tiny values: no denormals
        width = min(cfg.width, 128) if scheme == "orthogonal" else cfg.width  # 50 SVDs stay cheap
        for s in range(seeds):
            x, pre = _preacts(cfg.depth, width, act, scheme, base + s, cfg.n, gain, std, dtype=dtype)
            vs.append(torch.stack([p.var() for p in pre]) / x.var())               # (depth,)
            ms.append(torch.stack([p.pow(2).mean() for p in pre]) / x.pow(2).mean())
            if s == 0 and name in ("tanh N(0,1e-4)", "tanh Xavier (gain 5/3)", "ReLU He"):
                hists[name] = [pre[i].flatten().float() for i in sorted({0, cfg.depth // 2, cfg.depth - 1})]
        var[name], second[name] = torch.stack(vs).mean(0), torch.stack(ms).mean(0)
        for layer, (v, m) in enumerate(zip(var[name], second[name])):
            run.log(step=layer + 1, setting=name, var_ratio=v.item(), second_moment_ratio=m.item())

    # tiny init: std decay after 10 layers (the notes' 10-layer claim)
    k = min(10, cfg.depth)
    tiny_decay = float(1.0 / var["tanh N(0,1e-4)"][k - 1].sqrt())
    # Xavier tanh: layer 1 sees raw x (variance gain^2 Var x); from layer 2 on, the factor to Var x
    v = var["tanh Xavier (gain 5/3)"][1:]
    xavier_factor = float(torch.maximum(v, 1 / v).max())
    # He: second moment relative to layer 1 (layer 1 sees raw Gaussian x, later layers ReLU outputs)
    m = second["ReLU He"] / second["ReLU He"][0]
    he_factor = float(torch.maximum(m, 1 / m).max())

    # --- gradients per layer (vanishing_gradients) ---------------------------------------------
    grad_settings = {"sigmoid N(0,1)": ("sigmoid", "normal", False, 1.0),
                     "sigmoid N(0,1) + residual": ("sigmoid", "normal", True, 1.0),
                     "tanh LeCun + residual": ("tanh", "lecun", True, 1.0),
                     "sigmoid LeCun": ("sigmoid", "lecun", False, 1.0),
                     "ReLU He": ("relu", "he", False, 1.0),
                     "tanh Xavier": ("tanh", "xavier", False, calculate_gain("tanh")),
                     "step (He)": ("step", "he", False, 1.0)}
    grads, ratios, raw = {}, {}, {}
    for name, (act, scheme, residual, gain) in grad_settings.items():
        per_seed = []
        for s in range(cfg.seeds):
            g = torch.Generator().manual_seed(base + 100 + s)
            net = MLP(cfg.grad_width, [cfg.grad_width] * cfg.grad_depth, 10, activation=act,
                      residual=residual).double()
            init_weights_(net, scheme, std=1.0, gain=gain, generator=g)
            x = torch.randn(256, cfg.grad_width, generator=g, dtype=torch.float64)
            t = torch.randn(256, 10, generator=g, dtype=torch.float64)
            per_seed.append(layer_gradient_norms(net, x, t))
        raw[name] = np.array(per_seed)                                           # (seeds, depth)
        logs = np.log10(np.maximum(raw[name], 1e-300))
        grads[name] = 10 ** logs.mean(0)                                         # geometric mean
        ratios[name] = float((logs[:, 0] - logs[:, -1]).mean())                  # mean log10 first/last
        for layer, gn in enumerate(grads[name]):
            run.log(step=layer + 1, grad_setting=name, grad_norm=float(gn))
    step_grad = float(raw["step (He)"].max())                                    # exactly 0 expected

    # --- dead ReLU units with bias 0 vs 0.1 on standardised Gaussian inputs ---------------------
    g = torch.Generator().manual_seed(base + 200)
    raw_x = torch.randn(256, cfg.dead_width, generator=g) * 3 + 1
    xs = data.Standardize().fit(raw_x)(raw_x)                   # per-feature standardisation
    dead = {}
    for bias in (0.0, 0.1):
        fr = []
        for s in range(cfg.dead_seeds):                          # torch's default weights
            net = MLP(cfg.dead_width, [cfg.dead_width] * cfg.dead_depth, 1, activation="relu",
                      generator=torch.Generator().manual_seed(base + 300 + s))
            init_weights_(net, "default", bias=bias)
            with torch.no_grad():
                _, pre = net(xs, return_hidden=True)
            fr.append(torch.cat([(p <= 0).all(0) for p in pre]).float().mean().item())
        dead[bias] = float(np.mean(fr))

    # --- figures ------------------------------------------------------------------------------
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for name in settings:
        axes[0].semilogy(range(1, cfg.depth + 1), var[name].numpy(), label=name)
    axes[0].axhspan(0.5, 2, color="grey", alpha=0.15, label="within x2 of input")
    axes[0].set(xlabel="layer", ylabel="Var(pre-activation) / Var(input)", title="forward signal with depth")
    axes[0].legend(fontsize=7)
    for name in grad_settings:
        if name.startswith("step"):
            continue
        axes[1].semilogy(range(1, cfg.grad_depth + 1), grads[name], marker=".", label=name)
    axes[1].set(xlabel="layer", ylabel="||dL/dW_l||", title=f"gradient norms ({cfg.grad_depth} layers, width {cfg.grad_width})")
    axes[1].legend(fontsize=7)
    run.save_figure(fig, "signal_and_gradients")

    fig, axes = plt.subplots(len(hists), 3, figsize=(10, 2.0 * len(hists)))
    for r, (name, hs) in enumerate(hists.items()):
        for c in range(3):
            ax = axes[r, c]
            h = hs[min(c, len(hs) - 1)]
            ax.hist(h.numpy(), bins=40, color=f"C{r}", histtype="stepfilled")
            ax.set_yticks([])
            ax.set_title(f"{name}: layer {[1, cfg.depth // 2 + 1, cfg.depth][c]}", fontsize=7)
            ax.tick_params(labelsize=6)
    fig.subplots_adjust(hspace=0.6)
    run.save_figure(fig, "activation_histograms")

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["bias 0", "bias 0.1"], [dead[0.0], dead[0.1]], color=["C3", "C2"])
    ax.set(ylabel="fraction of units dead on every input",
           title=f"{cfg.dead_depth}-layer ReLU MLP, standardised inputs")
    run.save_figure(fig, "dead_units")

    return {"tiny_init_std_decay_10_layers": tiny_decay,
            "xavier_tanh_var_factor": xavier_factor,
            "xavier_gain1_tanh_last_var_ratio": float(var["tanh Xavier (gain 1)"][-1]),
            "he_relu_moment_factor": he_factor,
            "relu_xavier_last_moment_ratio": float(second["ReLU Xavier"][-1]),
            "orthogonal_linear_last_var_ratio": float(var["linear orthogonal"][-1]),
            "step_grad_norm": step_grad,
            "sigmoid_normal_grad_ratio": float(10 ** ratios["sigmoid N(0,1)"]),
            "relu_he_grad_log10_ratio_abs": abs(ratios["ReLU He"]),
            "residual_grad_log10_ratio_abs": abs(ratios["tanh LeCun + residual"]),
            "residual_sigmoid_grad_log10_ratio": ratios["sigmoid N(0,1) + residual"],
            "sigmoid_lecun_grad_log10_ratio": ratios["sigmoid LeCun"],
            "tanh_xavier_grad_log10_ratio": ratios["tanh Xavier"],
            "dead_frac_bias0": dead[0.0], "dead_frac_bias01": dead[0.1],
            "dead_unit_reduction": dead[0.0] - dead[0.1]}


# ---------------------------------------------------------------------------------------------
# exp.training.normalization
# ---------------------------------------------------------------------------------------------
@dataclass
class NormalizationConfig:
    depth: int = 6                      # hidden layers of the MLP
    width: int = 64
    lrs: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0, 3.0)   # plain SGD
    epochs: int = 12
    batch_size: int = 32
    good_acc: float = 0.9               # a run "trains" at this LR if val acc reaches this
    small_batch_epochs: int = 3         # batch size 2: BN vs LN
    small_batch_subset: int = 0         # 0: every training example


def _norm_net(cfg: NormalizationConfig, norm: str | None, seed: int) -> MLP:
    g = torch.Generator().manual_seed(seed)
    return MLP(64, [cfg.width] * cfg.depth, 10, activation="relu", norm=norm, generator=g)


@experiment("batchnorm-lr", chapter="training", exp_id="exp.training.normalization",
            items=["training.batch_norm", "training.layer_norm", "training.input_standardization",
                   "training.mlp"],
            bars=[Bar("bn_max_good_lr_ratio", ">", 1.0, "BN trains at a higher LR than no BN"),
                  Bar("bn_speedup", ">", 1.0, "BN reaches the target train loss in fewer steps"),
                  Bar("bn_eval_batch_dependence", "<=", 1e-5, "eval output independent of batch composition"),
                  Bar("ln_batch_size_dependence", "<=", 1e-6, "LN output identical alone or in a batch")],
            quick=dict(depth=3, lrs=(0.1, 1.0), epochs=1, small_batch_epochs=1, small_batch_subset=200),
            budget="~60 s on 2 CPU cores")
def batchnorm_lr(cfg: NormalizationConfig, run: Run) -> dict[str, float]:
    """Batch norm vs none at several learning rates; eval-mode statistics; LN at batch size 2."""
    plt = _plt()
    xtr, ytr, xva, yva, _, _ = _standardized_digits()
    curves, final_acc = {}, {}
    for norm in (None, "batch"):
        for lr in cfg.lrs:
            log: list[float] = []
            net = _norm_net(cfg, norm, run.seed)
            _fit(net, xtr, ytr, epochs=cfg.epochs, lr=lr, batch_size=cfg.batch_size,
                 generator=torch.Generator().manual_seed(run.seed), optimizer="sgd", log=log)
            acc = _acc(_probs(net, xva), yva) if all(math.isfinite(v) for v in log) else 0.0
            key = f"{'BN' if norm else 'plain'} lr={lr:g}"
            curves[key], final_acc[(norm, lr)] = log, acc
            run.log(step=len(log), setting=key, val_acc=acc, final_train_loss=log[-1])

    def max_good_lr(norm):
        good = [lr for lr in cfg.lrs if final_acc[(norm, lr)] >= cfg.good_acc]
        return max(good) if good else min(cfg.lrs) / 10

    def steps_to(log, target):
        smooth = np.convolve(np.nan_to_num(np.array(log), nan=1e9), np.ones(10) / 10, mode="valid")
        hit = np.nonzero(smooth <= target)[0]
        return int(hit[0]) + 10 if len(hit) else len(log) + 1

    best = {n: max(cfg.lrs, key=lambda lr: (final_acc[(n, lr)], -lr)) for n in (None, "batch")}
    target = 0.3                                   # smoothed train loss
    s_plain = steps_to(curves[f"plain lr={best[None]:g}"], target)
    s_bn = steps_to(curves[f"BN lr={best['batch']:g}"], target)

    # eval mode: a trained BN net's output for an example does not depend on its batch-mates
    net = _norm_net(cfg, "batch", run.seed)
    _fit(net, xtr, ytr, epochs=1, lr=best["batch"], batch_size=cfg.batch_size,
         generator=torch.Generator().manual_seed(run.seed), optimizer="sgd")
    with torch.no_grad():
        a = net.eval()(xva[:20])[:5]
        b = net(torch.cat([xva[:5], xva[100:140]]))[:5]
        eval_dep = (a - b).abs().max().item()
        net.train()
        train_dep = (net(xva[:20])[:5] - net(torch.cat([xva[:5], xva[100:140]]))[:5]).abs().max().item()
        net.eval()

    # batch size 2: LN is per example, BN statistics from 2 examples are noisy
    small = {}
    n_small = cfg.small_batch_subset or len(xtr)
    for norm in ("batch", "layer"):
        m = _norm_net(cfg, norm, run.seed)
        _fit(m, xtr[:n_small], ytr[:n_small], epochs=cfg.small_batch_epochs, lr=0.01, batch_size=2,
             generator=torch.Generator().manual_seed(run.seed), optimizer="sgd")
        small[norm] = _acc(_probs(m, xva), yva)
    ln, xv = _norm_net(cfg, "layer", run.seed).double().train(), xva.double()
    with torch.no_grad():
        ln_dep = max((ln(xv[i:i + 1]) - ln(xv[:8])[i:i + 1]).abs().max().item() for i in range(8))

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for i, lr in enumerate(cfg.lrs):
        for norm, ls in ((None, "--"), ("batch", "-")):
            key = f"{'BN' if norm else 'plain'} lr={lr:g}"
            y = np.convolve(np.array(curves[key]), np.ones(10) / 10, mode="valid")
            axes[0].plot(y, ls, color=f"C{i}", label=key)
    axes[0].set(yscale="log", xlabel="step", ylabel="train loss (10-step mean)", ylim=(1e-3, 10),
                title="SGD on digits: BN (solid) vs none (dashed)")
    axes[0].legend(fontsize=6, ncol=2)
    for norm, marker in ((None, "o--"), ("batch", "s-")):
        axes[1].semilogx(cfg.lrs, [final_acc[(norm, lr)] for lr in cfg.lrs], marker,
                         label="BN" if norm else "no BN")
    axes[1].axhline(cfg.good_acc, color="grey", lw=0.8)
    axes[1].set(xlabel="learning rate", ylabel="val accuracy", title=f"after {cfg.epochs} epochs")
    axes[1].legend()
    run.save_figure(fig, "bn_vs_plain")

    return {"bn_max_good_lr_ratio": max_good_lr("batch") / max_good_lr(None),
            "bn_max_good_lr": max_good_lr("batch"), "plain_max_good_lr": max_good_lr(None),
            "bn_best_val_acc": final_acc[("batch", best["batch"])],
            "plain_best_val_acc": final_acc[(None, best[None])],
            "bn_speedup": s_plain / s_bn, "bn_steps_to_target": float(s_bn),
            "plain_steps_to_target": float(s_plain),
            "bn_eval_batch_dependence": eval_dep, "bn_train_batch_dependence": train_dep,
            "ln_batch_size_dependence": ln_dep,
            "bn_val_acc_batch2": small["batch"], "ln_val_acc_batch2": small["layer"]}


# ---------------------------------------------------------------------------------------------
# exp.training.ensembles_dropout
# ---------------------------------------------------------------------------------------------
@dataclass
class EnsemblesConfig:
    members: int = 5
    hidden: int = 64
    epochs: int = 25
    lr: float = 3e-3
    batch_size: int = 32
    snapshot_cycles: int = 5
    swa_start: int = 15                 # epoch from which weights are averaged
    mc_masks: int = 4000                # Monte Carlo masks for the dropout expectation


def _small_mlp(cfg: EnsemblesConfig, seed: int, **kw) -> MLP:
    return MLP(64, [cfg.hidden], 10, activation="relu", generator=torch.Generator().manual_seed(seed), **kw)


@experiment("ensembles-dropout", chapter="training", exp_id="exp.training.ensembles_dropout",
            items=["training.ensemble_averaging", "training.bagging", "training.multihead_ensemble",
                   "training.snapshot_ensemble", "training.weight_averaging", "training.dropout",
                   "training.mlp"],
            bars=[Bar("seed_ensemble_nll_gain", ">", 0.0, "seed ensemble NLL below the mean member's"),
                  Bar("bagging_nll_gain", ">", 0.0, "bagged ensemble NLL below the mean member's"),
                  Bar("multihead_nll_gain", ">", 0.0, "multi-head average below the mean head's NLL"),
                  Bar("snapshot_nll_gain", ">", 0.0, "snapshot ensemble below the mean snapshot's NLL"),
                  Bar("inverted_dropout_eval_rel_err", "<=", 0.02, "eval output = train-time expectation"),
                  Bar("rule_002_inflation", ">=", 2.0, "002's x(1/p) at test time inflates activations")],
            quick=dict(members=2, hidden=16, epochs=1, snapshot_cycles=1, swa_start=1, mc_masks=100),
            budget="~60 s on 2 CPU cores")
def ensembles_dropout(cfg: EnsemblesConfig, run: Run) -> dict[str, float]:
    """Seed and bagged ensembles, multi-head, snapshots, weight averaging and dropout's test rule."""
    plt = _plt()
    xtr, ytr, _, _, xte, yte = _standardized_digits()
    gen = lambda k: torch.Generator().manual_seed(run.seed * 1000 + k)
    fit = lambda m, x, y, k, **kw: _fit(m, x, y, epochs=cfg.epochs, lr=cfg.lr, batch_size=cfg.batch_size,
                                        generator=gen(k), **kw)
    out: dict[str, float] = {}

    def report(name, member_probs: Tensor):                  # (M, N, C)
        ens = soft_vote(member_probs)
        member_nll = [_nll(p, yte) for p in member_probs]
        out[f"{name}_nll"] = _nll(ens, yte)
        out[f"{name}_mean_member_nll"] = float(np.mean(member_nll))
        out[f"{name}_nll_gain"] = out[f"{name}_mean_member_nll"] - out[f"{name}_nll"]
        out[f"{name}_acc"] = _acc(ens, yte)
        out[f"{name}_mean_member_acc"] = float(np.mean([_acc(p, yte) for p in member_probs]))
        run.log(ensemble=name, nll=out[f"{name}_nll"], mean_member_nll=out[f"{name}_mean_member_nll"])
        return member_nll

    # seeds (init + data order) and bagging (bootstrap resamples)
    seed_probs = torch.stack([_probs(fit(_small_mlp(cfg, run.seed * 100 + j), xtr, ytr, j), xte)
                              for j in range(cfg.members)])
    nll_seed = report("seed_ensemble", seed_probs)
    out["hard_vote_acc"] = (hard_vote(seed_probs.argmax(-1), 10) == yte).float().mean().item()
    bags = bagging_indices(len(xtr), cfg.members, gen(50))
    out["bag_unique_fraction"] = float(np.mean([b.unique().numel() / len(xtr) for b in bags]))
    bag_probs = torch.stack([_probs(fit(_small_mlp(cfg, run.seed * 100 + j), xtr[b], ytr[b], 60 + j), xte)
                             for j, b in enumerate(bags)])
    nll_bag = report("bagging", bag_probs)

    # shared trunk, M heads, trained on the sum of the heads' losses
    g = gen(70)
    trunk = nn.Sequential(Linear(64, cfg.hidden, generator=g), ReLU())
    mh = MultiHeadEnsemble(trunk, [Linear(cfg.hidden, 10, generator=g) for _ in range(cfg.members)])
    opt = torch.optim.Adam(mh.parameters(), lr=cfg.lr)
    for _ in range(cfg.epochs):
        for idx in torch.randperm(len(xtr), generator=g).split(cfg.batch_size):
            heads = mh.head_outputs(xtr[idx])                                    # (M, B, C)
            loss = sum(F.cross_entropy(h, ytr[idx]) for h in heads)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        nll_mh = report("multihead", mh.head_outputs(xte).softmax(-1))

    # snapshots at the ends of cosine cycles, and a running average of the weights (SWA)
    steps_per_epoch = math.ceil(len(xtr) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    snaps, model = SnapshotEnsemble(), _small_mlp(cfg, run.seed * 100 + 90, norm="batch")
    swa = AveragedModel(model)
    per_cycle = math.ceil(cfg.epochs / cfg.snapshot_cycles)

    def on_epoch(epoch):
        if (epoch + 1) % per_cycle == 0 or epoch + 1 == cfg.epochs:
            snaps.snapshot(model)
        if epoch + 1 >= cfg.swa_start:
            swa.update_parameters(model)
        model.train()

    fit(model, xtr, ytr, 90, lr_fn=lambda t: snapshot_lr(t, total, cfg.snapshot_cycles, 10 * cfg.lr),
        on_epoch=on_epoch)
    with torch.no_grad():
        nll_snap = report("snapshot", snaps.member_probs(xte))
    update_bn([(xtr[i],) for i in torch.arange(len(xtr)).split(128)], swa)     # BN stats for avg weights
    out["swa_nll"] = _nll(_probs(swa, xte), yte)
    out["swa_acc"] = _acc(_probs(swa, xte), yte)
    out["final_weights_nll"] = _nll(_probs(model, xte), yte)

    # dropout: inverted (train-time scaling) vs 002's test-time rule for the non-inverted form
    net = fit(_small_mlp(cfg, run.seed * 100 + 95, dropout=0.5), xtr, ytr, 95)
    with torch.no_grad():
        h = net.acts[0](net.layers[0](xte[:200]))                                # (N, H) before dropout
        W, b = net.head.weight, net.head.bias
        gmc = gen(96)
        drop = Dropout(0.5, generator=gmc).train()
        mc = torch.stack([drop(h) @ W.T + b for _ in range(cfg.mc_masks)]).mean(0)     # E over masks
        eval_out = net.head(net.drops[0].eval()(h))                              # eval: identity
        out["inverted_dropout_eval_rel_err"] = ((mc - eval_out).norm() / eval_out.norm()).item()
        keep = 0.5
        masks = [torch.empty_like(h).bernoulli_(keep, generator=gmc) for _ in range(cfg.mc_masks)]
        mc_plain = torch.stack([(m * h) @ W.T for m in masks]).mean(0)           # non-inverted, train
        out["rule_002_inflation"] = ((h / keep) @ W.T).norm().item() / mc_plain.norm().item()
        out["rule_classic_ratio"] = ((h * keep) @ W.T).norm().item() / mc_plain.norm().item()
        out["dropout_net_acc"] = _acc(_probs(net, xte), yte)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    groups = [("seeds", nll_seed, out["seed_ensemble_nll"]), ("bagging", nll_bag, out["bagging_nll"]),
              ("multi-head", nll_mh, out["multihead_nll"]), ("snapshots", nll_snap, out["snapshot_nll"])]
    for i, (name, members, ens) in enumerate(groups):
        axes[0].scatter([i] * len(members), members, color="C0", s=14, label="members" if i == 0 else None)
        axes[0].scatter([i], [ens], color="C3", marker="*", s=120, label="ensemble" if i == 0 else None)
    axes[0].axhline(out["swa_nll"], color="C2", ls="--", label="weight average (SWA)")
    axes[0].set_xticks(range(len(groups)), [g[0] for g in groups])
    axes[0].set(ylabel="test NLL", title="ensembles vs their members (digits)")
    axes[0].legend(fontsize=7)
    labels = ["inverted: eval", "classic: x keep", "002: x 1/keep"]
    vals = [1 + out["inverted_dropout_eval_rel_err"], out["rule_classic_ratio"], out["rule_002_inflation"]]
    axes[1].bar(labels, vals, color=["C2", "C2", "C3"])
    axes[1].axhline(1, color="k", lw=0.8)
    axes[1].set(ylabel="|test-time output| / |E_train output|", title="dropout test-time rules (keep = 0.5)")
    run.save_figure(fig, "ensembles_dropout")
    return out


# ---------------------------------------------------------------------------------------------
# exp.training.augmentation_robustness
# ---------------------------------------------------------------------------------------------
@dataclass
class AugmentationConfig:
    epochs: int = 30
    lr: float = 2e-3
    batch_size: int = 32
    degrees: float = 20.0               # training augmentation ranges
    translate: float = 0.25             # fraction of the 8-pixel side
    brightness: float = 0.8             # factor in [1 - b, 1 + b]
    p_augment: float = 0.5              # fraction of each batch that is augmented
    test_shift: float = 2.0             # pixels
    test_rotation: float = 25.0         # degrees
    test_brightness: float = 0.25       # factor (a much darker image)


@experiment("augmentation-robustness", chapter="training", exp_id="exp.training.augmentation_robustness",
            items=["training.geometric_augmentation", "training.photometric_augmentation",
                   "cnn.cnn_classifier"],
            bars=[Bar("shift_drop_reduction", ">", 0.0, "augmented CNN loses less on shifted digits"),
                  Bar("rotation_drop_reduction", ">", 0.0, "augmented CNN loses less on rotated digits"),
                  Bar("brightness_drop_reduction", ">", 0.0, "augmented CNN loses less on darkened digits")],
            quick=dict(epochs=1), budget="~60 s on 2 CPU cores")
def augmentation_robustness(cfg: AugmentationConfig, run: Run) -> dict[str, float]:
    """CNNs with and without shift/rotation/brightness augmentation, tested on transformed digits."""
    from ..data import RandomAffine, adjust_brightness, affine
    from ..models import CNNClassifier

    plt = _plt()
    xtr, ytr = _tensors(data.load("digits", split="train"))          # (N, 1, 8, 8) in [0, 1]
    xte, yte = _tensors(data.load("digits", split="test"))
    g_aug = torch.Generator().manual_seed(run.seed + 7)
    geo = RandomAffine(degrees=cfg.degrees, translate=(cfg.translate, cfg.translate), generator=g_aug)

    def augment(x: Tensor) -> Tensor:                                # (B, 1, 8, 8)
        factor = 1 + cfg.brightness * (2 * torch.rand(len(x), generator=g_aug) - 1)   # (B,)
        aug = adjust_brightness(geo(x), factor)
        chosen = (torch.rand(len(x), generator=g_aug) < cfg.p_augment).view(-1, 1, 1, 1)
        return torch.where(chosen, aug, x)

    tests = {"clean": xte,
             "shift": affine(xte, translate=(cfg.test_shift, cfg.test_shift)),
             "rotation": affine(xte, angle=cfg.test_rotation),
             "brightness": adjust_brightness(xte, cfg.test_brightness)}
    acc = {}
    for mode in ("plain", "augmented"):
        torch.manual_seed(run.seed)                                   # same initial weights
        model = CNNClassifier(channels=(16, 32), image_size=8, hidden=64)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        g = torch.Generator().manual_seed(run.seed)
        for epoch in range(cfg.epochs):
            model.train()
            total = 0.0
            for idx in torch.randperm(len(xtr), generator=g).split(cfg.batch_size):
                xb = augment(xtr[idx]) if mode == "augmented" else xtr[idx]
                loss = F.cross_entropy(model(xb), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            run.log(step=epoch + 1, mode=mode, train_loss=total / len(xtr))
        model.eval()
        with torch.no_grad():
            acc[mode] = {k: _acc(model(v), yte) for k, v in tests.items()}

    out = {}
    for mode in acc:
        for k, v in acc[mode].items():
            out[f"{mode}_{k}_acc"] = v
    for k in ("shift", "rotation", "brightness"):
        drop = {m: acc[m]["clean"] - acc[m][k] for m in acc}
        out[f"plain_{k}_drop"], out[f"augmented_{k}_drop"] = drop["plain"], drop["augmented"]
        out[f"{k}_drop_reduction"] = drop["plain"] - drop["augmented"]

    fig, axes = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
    names = list(tests)
    w = 0.38
    for i, mode in enumerate(acc):
        axes[0].bar(np.arange(len(names)) + (i - 0.5) * w, [acc[mode][k] for k in names], w, label=mode)
    axes[0].set_xticks(range(len(names)), names)
    axes[0].set(ylabel="test accuracy", ylim=(0, 1), title="CNN on digits: plain vs augmented training")
    axes[0].legend()
    strip = torch.cat([tests[k][0, 0] for k in names], 1)            # one digit, each test transform
    axes[1].imshow(strip.numpy(), cmap="gray_r", vmin=0, vmax=1)
    axes[1].set(title=" | ".join(names), xticks=[], yticks=[])
    run.save_figure(fig, "augmentation_robustness")
    return out


# ---------------------------------------------------------------------------------------------
# exp.training.ablation_protocol
# ---------------------------------------------------------------------------------------------
@dataclass
class AblationConfig:
    hidden: int = 128
    blocks: int = 2
    epochs: int = 10
    lr: float = 2e-3
    batch_size: int = 64
    dropout: float = 0.1
    max_shift: int = 3                  # augmentation: random circular shift of the 40-point signal
    seeds: int = 3
    train_subset: int = 0               # 0: the whole training split


class _RandomShift1d(nn.Module):
    """Training-time augmentation: roll each signal by k ~ U{-s..s} (identity in eval mode)."""

    def __init__(self, max_shift: int, generator: torch.Generator):
        super().__init__()
        self.max_shift, self.generator = max_shift, generator

    def forward(self, x: Tensor) -> Tensor:                           # (B, L)
        if not self.training or self.max_shift == 0:
            return x
        k = torch.randint(-self.max_shift, self.max_shift + 1, (len(x), 1), generator=self.generator)
        idx = (torch.arange(x.shape[1]) - k) % x.shape[1]             # (B, L)
        return x.gather(1, idx)


class _AblationNet(nn.Module):
    """40 -> hidden, then blocks of Linear-BN-ReLU-Dropout with skips, plus an unused zero branch."""

    def __init__(self, cfg: AblationConfig, removed: frozenset, seed: int):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.augment = _RandomShift1d(0 if "augmentation" in removed else cfg.max_shift,
                                      torch.Generator().manual_seed(seed + 1))
        self.inp = Linear(40, cfg.hidden, generator=g)
        self.blocks = nn.ModuleList()
        for _ in range(cfg.blocks):
            self.blocks.append(nn.Sequential(
                Linear(cfg.hidden, cfg.hidden, generator=g),
                BatchNorm1d(cfg.hidden) if "batch_norm" not in removed else nn.Identity(),
                ReLU(),
                Dropout(cfg.dropout, generator=torch.Generator().manual_seed(seed + 2))
                if "dropout" not in removed else nn.Identity()))
        self.skip = "skip" not in removed
        if "noop_branch" not in removed:          # zero weights, gated by 0: an exact no-op, no RNG
            self.noop = nn.Parameter(torch.zeros(cfg.hidden, cfg.hidden))
        else:
            self.noop = None
        self.head = Linear(cfg.hidden, 10, generator=g)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.inp(self.augment(x)))                     # (B, H)
        for block in self.blocks:
            h = h + block(h) if self.skip else block(h)
        if self.noop is not None:
            h = h + 0.0 * (h @ self.noop)                             # contributes exactly 0
        return self.head(h)                                           # (B, 10)


@experiment("ablation", chapter="training", exp_id="exp.training.ablation_protocol",
            items=["training.ablation_protocol", "training.training_loop", "training.batch_norm",
                   "training.dropout"],
            bars=[Bar("noop_abs_delta", "<=", 0.005, "a no-op component's delta is ~0"),
                  Bar("components_with_se", ">=", 4, "every real component's delta has a seed SE")],
            quick=dict(epochs=1, seeds=2, hidden=16, blocks=1, train_subset=256), budget="~90 s on 2 CPU cores")
def ablation(cfg: AblationConfig, run: Run) -> dict[str, float]:
    """Remove one component at a time (BN, dropout, skips, augmentation, a no-op) on MNIST-1D."""
    from ..train import Trainer

    plt = _plt()
    train = data.load("mnist1d", split="trainval", flatten=True)
    if cfg.train_subset:
        train = torch.utils.data.TensorDataset(*(t[:cfg.train_subset] for t in train.tensors))
    xte, yte = _tensors(data.load("mnist1d", split="test", flatten=True))
    components = ["batch_norm", "dropout", "skip", "augmentation", "noop_branch"]
    curves: dict[tuple, list[float]] = {}

    def train_eval(removed: frozenset, seed: int) -> float:
        model = _AblationNet(cfg, removed, run.seed * 100 + seed)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        trainer = Trainer(model, opt, F.cross_entropy, train, epochs=cfg.epochs, batch_size=cfg.batch_size,
                          seed=run.seed * 100 + seed, checkpoint_every=None, log_every=1000)
        history = trainer.fit()
        curves[(tuple(sorted(removed)), seed)] = [h["train_loss"] for h in history]
        acc = _acc(_probs(model, xte), yte)
        run.log(removed=",".join(sorted(removed)) or "none", seed=seed, test_acc=acc)
        return acc

    result = ablation_study(train_eval, components, list(range(cfg.seeds)))
    out = {"full_test_acc": result[components[0]]["full"]}
    for c, r in result.items():
        out[f"{c}_delta"], out[f"{c}_se"] = r["delta"], r["se"]
    out["noop_abs_delta"] = abs(result["noop_branch"]["delta"])
    out["components_with_se"] = float(sum(1 for c in components[:-1]
                                          if math.isfinite(result[c]["se"]) and result[c]["se"] > 0))

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    deltas = [result[c]["delta"] for c in components]
    errs = [2 * result[c]["se"] for c in components]
    axes[0].barh(components, deltas, xerr=errs, color=["C0"] * 4 + ["C7"], capsize=4)
    axes[0].axvline(0, color="k", lw=0.8)
    axes[0].set(xlabel="test acc(full) - test acc(without c)   (±2 SE over seeds)",
                title=f"ablations on MNIST-1D, {cfg.seeds} seeds, full = {out['full_test_acc']:.3f}")
    for (removed, seed), ys in curves.items():
        if seed == 0:
            axes[1].plot(range(1, len(ys) + 1), ys, label="full" if not removed else f"- {removed[0]}")
    axes[1].set(xlabel="epoch", ylabel="train loss", yscale="log", title="training curves (seed 0)")
    axes[1].legend(fontsize=7)
    run.save_figure(fig, "ablation_deltas")
    return out
