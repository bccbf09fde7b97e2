"""Optimization experiments: the optimizer zoo, critical points, batch size, LR stability, clipping.

``optimizer-zoo``          every deepnotes optimizer on a ravine, a tilted double well (a shallow
                           local minimum), convex logistic regression (breast cancer) and a digits
                           MLP; AdaGrad with and without decay; Adam with and without warm-up;
                           RMSProp vs AdaGrad after a 10x jump in gradient scale; the schedules.
``critical-points``        the saddle of (1 - w1 w2)^2, the escape step, and the minimum ratio and
                           sharpness of tiny digits MLPs trained from many seeds.
``batch-size``             one MLP trained with B in {1, 16, 128, N}: gradient variance vs B,
                           time per update and per epoch, accuracy and sharpness at the solutions.
``lr-conditioning``        gradient descent on quadratics: divergence above 2 / lam_max,
                           iterations vs condition number, raw vs standardised wine features.
``gradient-clipping``      a tanh RNN on the recall task at a high learning rate, with no clipping,
                           value clipping, norm clipping and 003's unconditional rescaling.

Every optimizer, schedule and analysis tool used here is deepnotes' own (``deepnotes.optim``,
``deepnotes.autodiff``); layers and losses are torch's.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .. import data
from ..autodiff import hessian, model_hessian, model_hvp, params_to_vector, vector_to_params
from ..optim import (SGD, Adadelta, Adagrad, Adam, CosineAnnealingLR, ExponentialLR, InverseSqrtLR, LinearLR,
                     Newton, NoamLR, RAdam, RMSprop, StepLR, WarmupCosineLR, classify_critical_point,
                     gradient_noise_scale, iterations_to_tolerance, loss_landscape_grid, max_stable_lr,
                     minibatch_gradient_variance, minimum_ratio, negative_curvature_direction,
                     per_example_gradients, quadratic_gd, saddle_escape_step, sharpness, train_epoch)
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["OptimizerZooConfig", "CriticalPointsConfig", "BatchSizeConfig", "LRConditioningConfig",
           "GradientClippingConfig"]


def _tensors(name: str, split: str, **kw) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = data.load(name, split=split, **kw).tensors
    return x, y


# ----------------------------------------------------------------------------------------------
# optimizer zoo
# ----------------------------------------------------------------------------------------------
@dataclass
class OptimizerZooConfig:
    convex_steps: int = 1500       # full-batch steps on logistic regression
    digits_steps: int = 300        # full-batch steps on the digits MLP
    ravine_steps: int = 150
    well_steps: int = 1500         # steps on the tilted double well
    jump_before: int = 1000        # steps at gradient scale 1 before the 10x jump
    jump_after: int = 1500
    l2: float = 1e-2               # makes the logistic-regression optimum unique


def _zoo(kind: str) -> dict[str, tuple[type, dict]]:
    """Each optimizer with a learning rate suited to the problem (deepnotes classes only)."""
    if kind == "convex":
        return {"GD": (SGD, dict(lr=1.0)), "Momentum": (SGD, dict(lr=0.3, momentum=0.9)),
                "Nesterov": (SGD, dict(lr=0.3, momentum=0.9, nesterov=True)), "AdaGrad": (Adagrad, dict(lr=0.5)),
                "RMSProp": (RMSprop, dict(lr=1e-3)), "Adadelta": (Adadelta, dict(lr=1.0)),
                "Adam": (Adam, dict(lr=0.05)), "RAdam": (RAdam, dict(lr=0.05))}
    if kind == "ravine":
        return {"GD": (SGD, dict(lr=0.018)), "Momentum": (SGD, dict(lr=0.005, momentum=0.9)),
                "Nesterov": (SGD, dict(lr=0.005, momentum=0.9, nesterov=True)),
                "AdaGrad": (Adagrad, dict(lr=0.5)), "RMSProp": (RMSprop, dict(lr=0.05)),
                "Adadelta": (Adadelta, dict(lr=5.0)), "Adam": (Adam, dict(lr=0.1)), "RAdam": (RAdam, dict(lr=0.015))}
    return {"GD": (SGD, dict(lr=0.5)), "Momentum": (SGD, dict(lr=0.1, momentum=0.9)),
            "Nesterov": (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)), "AdaGrad": (Adagrad, dict(lr=0.05)),
            "RMSProp": (RMSprop, dict(lr=1e-3)), "Adadelta": (Adadelta, dict(lr=1.0)),
            "Adam": (Adam, dict(lr=3e-3)), "RAdam": (RAdam, dict(lr=3e-3))}


def _ravine(p: torch.Tensor) -> torch.Tensor:
    """A narrow rotated valley: curvatures 1 and 100 along the diagonals."""
    u, v = (p[..., 0] + p[..., 1]) / 2 ** 0.5, (p[..., 0] - p[..., 1]) / 2 ** 0.5
    return 0.5 * (u ** 2 + 100 * v ** 2)


def _double_well(x: torch.Tensor) -> torch.Tensor:
    """(x^2 - 1)^2 + 0.3 x: a shallow local minimum near x = 0.96, the global one near x = -1.04."""
    return (x ** 2 - 1) ** 2 + 0.3 * x


def _adapt_steps(opt_cls, kw, before: int, after: int) -> tuple[int, list[float]]:
    """Steps after a 10x jump in gradient scale until |step| is back within 10% of its pre-jump size."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    sizes = []
    for t in range(before + after):
        old = p.detach().clone()
        p.grad = torch.full_like(p, 1.0 if t < before else 10.0)
        opt.step()
        sizes.append((p.detach() - old).abs().item())
    ref = sizes[before - 1]
    for k in range(after):
        if abs(sizes[before + k] - ref) <= 0.1 * ref:
            return k, sizes
    return after, sizes


@experiment("optimizer-zoo", chapter="optimization", exp_id="exp.optimization.optimizer_zoo",
            items=["optimization.momentum", "optimization.nesterov", "optimization.adagrad",
                   "optimization.rmsprop", "optimization.adadelta", "optimization.adam", "optimization.radam",
                   "optimization.newton_method", "optimization.lr_decay", "optimization.lr_warmup"],
            bars=[Bar("convex_max_loss_gap", "<=", 1e-6, "every optimizer reaches Newton's optimum"),
                  Bar("newton_iterations", "<", 10),
                  Bar("gd_stuck_in_shallow_min", "==", 1.0),
                  Bar("momentum_escaped", "==", 1.0),
                  Bar("nesterov_escaped", "==", 1.0),
                  Bar("adagrad_eff_lr_decays", "==", 1.0, "non-increasing and at least halved"),
                  Bar("rmsprop_adapt_speedup", ">", 1.0, "AdaGrad's adaptation steps / RMSProp's")],
            quick=dict(convex_steps=20, digits_steps=5, ravine_steps=20, well_steps=100, jump_before=100,
                       jump_after=150),
            budget="~90 s on 2 busy CPU cores")
def optimizer_zoo(cfg: OptimizerZooConfig, run: Run) -> dict:
    """Momentum, Nesterov, AdaGrad, RMSProp, Adadelta, Adam, RAdam, Newton, schedules and warm-up."""
    plt = _plt()
    torch.manual_seed(run.seed)
    out: dict[str, float] = {}

    # 1. ravine: trajectories on the contour plot
    fig, ax = plt.subplots(figsize=(7, 6))
    g = torch.linspace(-1.6, 1.6, 200, dtype=torch.float64)
    X, Y = torch.meshgrid(g, g, indexing="xy")
    ax.contour(X, Y, _ravine(torch.stack([X, Y], -1)).clamp(min=1e-6).log10(), levels=25, cmap="Greys",
               linewidths=0.6)                                        # log-spaced contours
    for name, (cls, kw) in _zoo("ravine").items():
        p = torch.tensor([-1.5, -1.0], dtype=torch.float64, requires_grad=True)
        opt, path = cls([p], **kw), [p.detach().clone()]
        for _ in range(cfg.ravine_steps):
            opt.zero_grad()
            _ravine(p).backward()
            opt.step()
            path.append(p.detach().clone())
        path = torch.stack(path)
        ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1, label=f"{name} ({_ravine(p).item():.1e})")
        out[f"ravine_final_{name}"] = _ravine(p).item()
    ax.set(title=f"Ravine, {cfg.ravine_steps} steps (final loss)", xlabel="x", ylabel="y")
    ax.legend(fontsize=7)
    run.save_figure(fig, "ravine_trajectories")

    # 2. the tilted double well: momentum rolls over the barrier that stops GD
    starts = {}
    for name, kw in {"GD": dict(lr=0.01), "Momentum": dict(lr=0.01, momentum=0.9),
                     "Nesterov": dict(lr=0.01, momentum=0.9, nesterov=True)}.items():
        x = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        opt, path = SGD([x], **kw), [2.0]
        for _ in range(cfg.well_steps):
            opt.zero_grad()
            _double_well(x).sum().backward()
            opt.step()
            path.append(x.item())
        starts[name] = path
    out["gd_stuck_in_shallow_min"] = float(starts["GD"][-1] > 0)
    out["momentum_escaped"] = float(starts["Momentum"][-1] < 0)
    out["nesterov_escaped"] = float(starts["Nesterov"][-1] < 0)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    xs = torch.linspace(-1.6, 2.1, 300, dtype=torch.float64)
    a1.plot(xs, _double_well(xs), "k-", lw=1)
    for name, path in starts.items():
        pts = torch.tensor(path[::10], dtype=torch.float64)
        a1.plot(pts, _double_well(pts), "o", ms=3, alpha=0.5, label=name)
        a2.plot(path, label=name)
    a1.set(title="(x^2-1)^2 + 0.3x from x = 2", xlabel="x")
    a2.set(title="x_t", xlabel="step")
    a1.legend()
    run.save_figure(fig, "shallow_minimum")

    # 3. convex: logistic regression on breast cancer; Newton gives the optimum
    x, y = _tensors("breast_cancer", "train", standardize=True)
    x, y = x.double(), y.double()

    def logreg(w):
        return F.binary_cross_entropy_with_logits(x @ w[:-1] + w[-1], y) + cfg.l2 / 2 * (w[:-1] @ w[:-1])

    w = torch.zeros(x.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    newton, newton_curve = Newton([w]), [logreg(w).item()]
    for it in range(1, 50):
        newton.step(lambda: logreg(w))
        newton_curve.append(logreg(w).item())
        (gw,) = torch.autograd.grad(logreg(w), w)
        if gw.norm() < 1e-10:
            break
    out["newton_iterations"] = float(it)
    f_star = logreg(w).item()
    gaps, fig, ax = {}, *plt.subplots(figsize=(7, 5))
    for name, (cls, kw) in _zoo("convex").items():
        w = torch.zeros(x.shape[1] + 1, dtype=torch.float64, requires_grad=True)
        opt, curve = cls([w], **kw), []
        for t in range(cfg.convex_steps):
            opt.zero_grad()
            loss = logreg(w)
            loss.backward()
            opt.step()
            curve.append(loss.item() - f_star)
        gaps[name] = max(logreg(w).item() - f_star, 0.0)
        ax.semilogy([max(c, 1e-17) for c in curve], label=f"{name} (gap {gaps[name]:.1e})")
    ax.semilogy([max(v - f_star, 1e-17) for v in newton_curve], "k-o", label=f"Newton ({it} steps)")
    ax.set(title="Logistic regression (breast cancer): L - L*", xlabel="step")
    ax.legend(fontsize=7)
    run.save_figure(fig, "convex_logistic_regression")
    out["convex_max_loss_gap"] = max(gaps.values())
    for name, v in gaps.items():
        run.log(optimizer=name, convex_gap=v)

    # 4. digits MLP: every optimizer; AdaGrad with/without decay; Adam with/without warm-up
    xtr, ytr = _tensors("digits", "train", flatten=True)
    xte, yte = _tensors("digits", "test", flatten=True)

    def mlp():
        torch.manual_seed(run.seed)
        return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))

    runs = {name: (cls, kw, None) for name, (cls, kw) in _zoo("digits").items()}
    runs["AdaGrad+decay"] = (Adagrad, dict(lr=0.05, lr_decay=0.01), None)
    runs["Adam lr=0.02"] = (Adam, dict(lr=0.02), None)
    runs["Adam lr=0.02+warm-up"] = (Adam, dict(lr=0.02), lambda o: LinearLR(o, 0.05, 1.0, max(1, cfg.digits_steps // 5)))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    eff_lr = []
    for name, (cls, kw, sched_fn) in runs.items():
        model = mlp()
        opt = cls(model.parameters(), **kw)
        sched = sched_fn(opt) if sched_fn else None
        curve = []
        for t in range(cfg.digits_steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr), ytr)
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            curve.append(loss.item())
            if name == "AdaGrad":                    # median effective rate lr / (sqrt(s) + eps)
                s = torch.cat([opt.state[p]["sum"].reshape(-1) for p in model.parameters()])
                eff_lr.append((kw["lr"] / (s.sqrt() + 1e-10)).median().item())   # (some pixels are always 0)
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).double().mean().item()
        out[f"digits_test_acc_{name}"] = acc
        a1.plot(curve, label=f"{name} ({acc:.3f})")
    a1.set(title="Digits MLP, full batch: train loss (test accuracy)", xlabel="step", yscale="log")
    a1.legend(fontsize=6)
    a2.plot(eff_lr)
    a2.set(title="AdaGrad: median effective lr / (sqrt(s) + eps)", xlabel="step", yscale="log")
    run.save_figure(fig, "digits_mlp")
    nonincreasing = all(b <= a * (1 + 1e-12) for a, b in zip(eff_lr, eff_lr[1:]))
    out["adagrad_eff_lr_ratio"] = eff_lr[-1] / eff_lr[0]
    out["adagrad_eff_lr_decays"] = float(nonincreasing and eff_lr[-1] <= 0.5 * eff_lr[0])

    # 5. gradient scale jumps 10x: RMSProp re-adapts within ~1/(1 - alpha) steps, AdaGrad slowly
    k_rms, s_rms = _adapt_steps(RMSprop, dict(lr=0.01, alpha=0.99), cfg.jump_before, cfg.jump_after)
    k_ada, s_ada = _adapt_steps(Adagrad, dict(lr=0.01), cfg.jump_before, cfg.jump_after)
    out["rmsprop_adapt_steps"], out["adagrad_adapt_steps"] = float(k_rms), float(k_ada)
    out["rmsprop_adapt_speedup"] = k_ada / max(k_rms, 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(s_rms, label=f"RMSProp (back within 10% after {k_rms} steps)")
    ax.semilogy(s_ada, label=f"AdaGrad ({k_ada} steps)")
    ax.axvline(cfg.jump_before, color="k", ls=":")
    ax.set(title="|step| when the gradient jumps from 1 to 10", xlabel="step")
    ax.legend()
    run.save_figure(fig, "gradient_jump")

    # 6. the schedules themselves
    fig, ax = plt.subplots(figsize=(7, 4))
    T = 200
    for name, make in {"StepLR(50, 0.5)": lambda o: StepLR(o, 50, 0.5),
                       "ExponentialLR(0.98)": lambda o: ExponentialLR(o, 0.98),
                       "InverseSqrtLR": InverseSqrtLR, "CosineAnnealingLR(200)": lambda o: CosineAnnealingLR(o, T),
                       "WarmupCosineLR(20, 200)": lambda o: WarmupCosineLR(o, 20, T),
                       "NoamLR(d=64, w=40) x 8": lambda o: NoamLR(o, 64, 40)}.items():
        opt = SGD([torch.zeros(1, requires_grad=True)], lr=8.0 if name.startswith("Noam") else 1.0)
        sched, lrs = make(opt), []
        for _ in range(T):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        ax.plot(lrs, label=name)
    ax.set(title="Learning-rate schedules (eta_0 = 1)", xlabel="step")
    ax.legend(fontsize=7)
    run.save_figure(fig, "schedules")
    return out


# ----------------------------------------------------------------------------------------------
# critical points
# ----------------------------------------------------------------------------------------------
@dataclass
class CriticalPointsConfig:
    seeds: int = 12
    hidden: int = 4
    n_train: int = 300
    steps: int = 2000
    lr: float = 0.01
    escape_alpha: float = 0.1
    power_iters: int = 300


def _saddle_loss(w: torch.Tensor) -> torch.Tensor:
    return (1 - w[0] * w[1]) ** 2


@experiment("critical-points", chapter="optimization", exp_id="exp.optimization.critical_points",
            items=["optimization.critical_point_classification", "optimization.saddle_escape",
                   "optimization.minimum_ratio", "optimization.sharpness", "autodiff.higher_order_gradients",
                   "autodiff.param_flatten"],
            bars=[Bar("saddle_eig_error", "<=", 1e-9, "Hessian eigenvalues at the origin are -2 and +2"),
                  Bar("saddle_is_saddle", "==", 1.0),
                  Bar("loss_after_escape", "<", 1.0),
                  Bar("frac_minimum_ratio_below_1", ">", 0.5, "most converged points are not minima"),
                  Bar("sharpness_rel_err", "<=", 1e-4, "power iteration vs eigvalsh of the full Hessian")],
            quick=dict(seeds=2, steps=50, n_train=40, hidden=2, power_iters=20),
            budget="~90 s on 2 busy CPU cores")
def critical_points(cfg: CriticalPointsConfig, run: Run) -> dict:
    """Critical points, saddle escape and minimum ratio."""
    plt = _plt()
    out: dict[str, float] = {}
    origin = torch.zeros(2, dtype=torch.float64)
    H = hessian(_saddle_loss, origin)
    lam = torch.linalg.eigvalsh(H)
    out["saddle_eig_min"], out["saddle_eig_max"] = lam[0].item(), lam[1].item()
    out["saddle_eig_error"] = (lam - torch.tensor([-2.0, 2.0], dtype=torch.float64)).abs().max().item()
    out["saddle_is_saddle"] = float(classify_critical_point(H) == "saddle")
    _, u = negative_curvature_direction(H)
    escaped = saddle_escape_step(origin, H, cfg.escape_alpha)
    out["loss_at_saddle"] = _saddle_loss(origin).item()
    out["loss_after_escape"] = _saddle_loss(escaped).item()

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5))
    g = torch.linspace(-2, 2, 201, dtype=torch.float64)
    W1, W2 = torch.meshgrid(g, g, indexing="xy")
    S = loss_landscape_grid(lambda t: _saddle_loss(t.T), origin, torch.tensor([1.0, 0.0], dtype=torch.float64),
                            torch.tensor([0.0, 1.0], dtype=torch.float64), g, g, batched=True).T
    cs = a1.contourf(W1, W2, S.clamp(max=4), levels=30, cmap="viridis")
    fig.colorbar(cs, ax=a1)
    a1.quiver([0], [0], [u[0].item()], [u[1].item()], color="r", angles="xy", scale_units="xy", scale=1,
              label="negative-curvature eigenvector")
    a1.plot([escaped[0].item()], [escaped[1].item()], "r*", ms=12,
            label=f"escape step: L = {out['loss_after_escape']:.3f}")
    a1.set(title="(1 - w1 w2)^2: saddle at 0, eigenvalues -2, +2", xlabel="w1", ylabel="w2")
    a1.legend(fontsize=7, loc="lower left")

    # tiny MLPs trained from many seeds: minimum ratio and sharpness at the converged points
    x, y = _tensors("digits", "train", flatten=True)
    x, y = x[:cfg.n_train].double(), y[:cfg.n_train]
    x = x[:, x.std(0) > 0]       # drop always-blank pixels: their weights would add exact zero eigenvalues
    ratios, spectra = [], []
    worst_sharp, flat_err = 0.0, 0.0
    for s in range(cfg.seeds):
        torch.manual_seed(run.seed * 1000 + s)
        model = nn.Sequential(nn.Linear(x.shape[1], cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, 10)).double()
        opt = Adam(model.parameters(), lr=cfg.lr)
        sched = CosineAnnealingLR(opt, cfg.steps)
        for _ in range(cfg.steps):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            sched.step()
        loss_fn = lambda m: F.cross_entropy(m(x), y)  # noqa: E731
        theta = params_to_vector(model.parameters()).detach()                # theta = concat(vec W, b, ...)
        vector_to_params(theta.clone(), model.parameters())
        flat_err = max(flat_err, (params_to_vector(model.parameters()) - theta).abs().max().item())
        Hm = model_hessian(model, loss_fn)
        eig = torch.linalg.eigvalsh(Hm)
        model.zero_grad()
        loss = loss_fn(model)
        loss.backward()
        gnorm = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).norm().item()
        ratio = minimum_ratio(Hm)
        lam_pi = sharpness(lambda v: model_hvp(model, loss_fn, v), len(theta), iters=cfg.power_iters,
                           generator=torch.Generator().manual_seed(s))
        rel = abs(lam_pi - eig.max().item()) / max(abs(eig.max().item()), 1e-12)
        worst_sharp = max(worst_sharp, rel)
        ratios.append(ratio)
        spectra.append(eig)
        run.log(step=s, loss=loss.item(), grad_norm=gnorm, minimum_ratio=ratio, lam_min=eig.min().item(),
                lam_max=eig.max().item(), sharpness_power_iteration=lam_pi)
    out["frac_minimum_ratio_below_1"] = sum(r < 1 for r in ratios) / len(ratios)
    out["mean_minimum_ratio"] = sum(ratios) / len(ratios)
    out["sharpness_rel_err"] = worst_sharp
    out["flatten_roundtrip_error"] = flat_err
    for eig in spectra:
        a2.plot(eig.numpy(), ".", ms=2)
    a2.axhline(0, color="k", lw=0.5)
    a2.set(title=f"Hessian spectra of {cfg.seeds} converged tiny MLPs (mean min. ratio "
                 f"{out['mean_minimum_ratio']:.3f})", xlabel="index", ylabel="eigenvalue", yscale="symlog",
           )
    run.save_figure(fig, "saddle_and_spectra")
    return out


# ----------------------------------------------------------------------------------------------
# batch size
# ----------------------------------------------------------------------------------------------
@dataclass
class BatchSizeConfig:
    epochs: int = 30
    hidden: int = 32
    lr_b1: float = 0.01            # lr for B = 1; B = 16, 128, N use lr_scale
    timing_updates: int = 30
    variance_batches: int = 4000
    power_iters: int = 50
    n_train: int = 0               # 0: the whole training split (1078 digits)


@experiment("batch-size", chapter="optimization", exp_id="exp.optimization.gd_variants_batch_size",
            items=["optimization.minibatch_sgd", "optimization.minibatch_gradient_variance",
                   "optimization.sharpness", "optimization.gradient_descent", "training.mlp"],
            bars=[Bar("variance_loglog_slope", ">=", -1.1, "gradient variance ~ 1/B: slope -1"),
                  Bar("variance_loglog_slope", "<=", -0.9),
                  Bar("epoch_time_ratio_b1_vs_full", ">", 10.0, "an epoch of B=1 costs more than one of B=N"),
                  Bar("update_time_ratio_b128_vs_b1", "<", 4.0, "time per update nearly flat in B"),
                  Bar("sharpness_ratio_full_vs_b1", ">", 0.0, "claim measured: small batches find flatter minima"),
                  Bar("test_acc_gap_b16_minus_full", ">=", -1.0, "claim measured: small batches generalise better")],
            quick=dict(epochs=1, timing_updates=3, variance_batches=200, power_iters=5, n_train=150),
            budget="~130 s on 2 busy CPU cores")
def batch_size(cfg: BatchSizeConfig, run: Run) -> dict:
    """Full-batch vs mini-batch vs SGD and batch-size effects."""
    plt = _plt()
    xtr, ytr = _tensors("digits", "train", flatten=True)
    xte, yte = _tensors("digits", "test", flatten=True)
    if cfg.n_train:
        xtr, ytr = xtr[:cfg.n_train], ytr[:cfg.n_train]
    n = len(xtr)
    sizes = {"1": 1, "16": 16, "128": 128, "N": n}
    lrs = {"1": cfg.lr_b1, "16": 0.1, "128": 0.5, "N": 1.0}
    out: dict[str, float] = {}

    def mlp():
        torch.manual_seed(run.seed)
        return nn.Sequential(nn.Linear(64, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, 10))

    # gradient variance at the initial point: E||g_B - G||^2 for each B, against sigma^2 / B
    model = mlp()
    G = per_example_gradients(model, F.cross_entropy, xtr, ytr)              # (N, P)
    sigma2 = gradient_noise_scale(G)
    bs = [1, 2, 4, 8, 16, 32, 64, 128]
    var = [minibatch_gradient_variance(G, b, cfg.variance_batches, generator=run.generator)[1] for b in bs]
    logb, logv = torch.log(torch.tensor(bs, dtype=torch.float64)), torch.log(torch.tensor(var, dtype=torch.float64))
    slope = (((logb - logb.mean()) * (logv - logv.mean())).sum() / ((logb - logb.mean()) ** 2).sum()).item()
    out["variance_loglog_slope"] = slope
    out["sigma2_single_example"] = sigma2

    curves, times = {}, {}
    for key, b in sizes.items():
        model = mlp()
        opt = SGD(model.parameters(), lr=lrs[key])
        # time per update (a few warm updates, then timed)
        for _ in range(2):
            idx = torch.randint(n, (b,), generator=run.generator)
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        t0 = time.perf_counter()
        for _ in range(cfg.timing_updates):
            idx = torch.randint(n, (b,), generator=run.generator)
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        per_update = (time.perf_counter() - t0) / cfg.timing_updates
        model = mlp()
        opt = SGD(model.parameters(), lr=lrs[key])
        curve, t0 = [], time.perf_counter()
        for epoch in range(cfg.epochs):
            stats = train_epoch(model, F.cross_entropy, xtr, ytr, opt, b, generator=run.generator)
            curve.append(stats["mean_loss"])
            run.log(step=epoch, batch=b, train_loss=stats["mean_loss"], updates=stats["updates"])
        per_epoch = (time.perf_counter() - t0) / cfg.epochs
        with torch.no_grad():
            train_acc = (model(xtr).argmax(1) == ytr).double().mean().item()
            test_acc = (model(xte).argmax(1) == yte).double().mean().item()
        lam = sharpness(lambda v: model_hvp(model, lambda m: F.cross_entropy(m(xtr), ytr), v),
                        sum(p.numel() for p in model.parameters()), iters=cfg.power_iters,
                        generator=torch.Generator().manual_seed(run.seed), dtype=torch.float32)
        curves[key] = curve
        times[key] = (per_update, per_epoch)
        out[f"test_acc_b{key}"], out[f"train_acc_b{key}"], out[f"sharpness_b{key}"] = test_acc, train_acc, lam
        out[f"time_per_update_b{key}"], out[f"time_per_epoch_b{key}"] = per_update, per_epoch
    out["epoch_time_ratio_b1_vs_full"] = times["1"][1] / times["N"][1]
    out["update_time_ratio_b128_vs_b1"] = times["128"][0] / times["1"][0]
    out["update_time_ratio_full_vs_b1"] = times["N"][0] / times["1"][0]
    out["sharpness_ratio_full_vs_b1"] = out["sharpness_bN"] / max(out["sharpness_b1"], 1e-12)
    out["test_acc_gap_b16_minus_full"] = out["test_acc_b16"] - out["test_acc_bN"]

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    axes[0].loglog(bs, var, "o-", label="measured E||g_B - G||^2")
    axes[0].loglog(bs, [sigma2 / b for b in bs], "k--", label="sigma^2 / B")
    axes[0].set(title=f"Mini-batch gradient variance (slope {slope:.3f})", xlabel="B")
    axes[0].legend()
    for key, curve in curves.items():
        axes[1].plot(range(1, len(curve) + 1), curve,
                     label=f"B={key}: test {out[f'test_acc_b{key}']:.3f}, sharp {out[f'sharpness_b{key}']:.2f}")
    axes[1].set(title="Train loss per epoch", xlabel="epoch", yscale="log")
    axes[1].legend(fontsize=7)
    keys = list(times)
    axes[2].bar([k + " upd" for k in keys], [times[k][0] * 1e3 for k in keys], color="C0", label="ms / update")
    axes[2].bar([k + " ep" for k in keys], [times[k][1] * 1e3 for k in keys], color="C1", label="ms / epoch")
    axes[2].set(title="Time per update and per epoch", yscale="log")
    axes[2].tick_params(axis="x", rotation=45)
    axes[2].legend()
    run.save_figure(fig, "batch_size")
    return out


# ----------------------------------------------------------------------------------------------
# learning-rate stability and conditioning
# ----------------------------------------------------------------------------------------------
@dataclass
class LRConditioningConfig:
    sweep_points: int = 401        # lr sweep around 2 / lam_max
    sweep_steps: int = 3000
    tol: float = 1e-6
    wine_steps: int = 3000         # steps actually run on wine (iterations to tol in closed form)


@experiment("lr-conditioning", chapter="optimization", exp_id="exp.optimization.lr_conditioning",
            items=["optimization.learning_rate_stability", "optimization.gradient_descent",
                   "training.input_standardization", "optimization.loss_landscape_grid"],
            bars=[Bar("divergence_threshold_rel_err", "<=", 0.005, "divergence starts at 2 / lam_max"),
                  Bar("iterations_vs_kappa_slope", ">=", 0.9, "iterations grow linearly with kappa"),
                  Bar("iterations_vs_kappa_slope", "<=", 1.1),
                  Bar("standardization_speedup", ">=", 100.0, "orders of magnitude fewer iterations")],
            quick=dict(sweep_points=21, sweep_steps=200, wine_steps=100),
            budget="~15 s on 2 busy CPU cores")
def lr_conditioning(cfg: LRConditioningConfig, run: Run) -> dict:
    """Learning-rate stability, ill-conditioning and input standardisation."""
    plt = _plt()
    out: dict[str, float] = {}
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))

    # 1. lr sweep on f = 1/2 (x^2 + 100 y^2) (and kappa 10, 1000): where does GD start diverging?
    errs = []
    for kappa in (10.0, 100.0, 1000.0):
        lam = (1.0, kappa)
        edge = max_stable_lr(lam)
        sweep = torch.linspace(0.9 * edge, 1.1 * edge, cfg.sweep_points, dtype=torch.float64)
        final = quadratic_gd(lam, sweep, cfg.sweep_steps)[-1]            # (sweep_points,) side by side
        diverged = final > 1.0                                  # f started at (1 + kappa) / 2 >= 5.5
        first = sweep[diverged.nonzero()[0, 0]].item() if diverged.any() else float("inf")
        errs.append(abs(first - edge) / edge)
        axes[0, 0].semilogy(sweep / edge, final.clamp(1e-300, 1e300), label=f"kappa = {kappa:g}")
    out["divergence_threshold_rel_err"] = max(errs)
    axes[0, 0].axvline(1.0, color="k", ls=":")
    axes[0, 0].set(title=f"f after {cfg.sweep_steps} GD steps vs lr / (2 / lam_max)", xlabel="lr * lam_max / 2")
    axes[0, 0].legend()

    # 2. iterations to tolerance vs condition number at lr = 1 / lam_max
    kappas = [10.0, 30.0, 100.0, 300.0, 1000.0]
    its = [iterations_to_tolerance((1.0, k), lr=1.0 / k, tol=cfg.tol) for k in kappas]
    lk, li = torch.log(torch.tensor(kappas)), torch.log(torch.tensor(its, dtype=torch.float64))
    out["iterations_vs_kappa_slope"] = (((lk - lk.mean()) * (li - li.mean())).sum() / ((lk - lk.mean()) ** 2).sum()).item()
    for k, i in zip(kappas, its):
        out[f"iterations_kappa_{int(k)}"] = float(i)
    axes[0, 1].loglog(kappas, its, "o-")
    axes[0, 1].set(title=f"Iterations to f < {cfg.tol:g} (slope {out['iterations_vs_kappa_slope']:.3f})",
                   xlabel="kappa = lam_max / lam_min")

    # 3. least squares on wine (predict alcohol from the other 12 features): raw vs standardised
    x, _ = _tensors("wine", "all")
    x = x.double()
    target, feats = x[:, 0], x[:, 1:]
    for name, z in (("raw", feats), ("standardised", (feats - feats.mean(0)) / feats.std(0))):
        X = torch.cat([z, torch.ones(len(z), 1, dtype=torch.float64)], 1)      # (N, 13) with intercept
        A = X.T @ X / len(X)                                                    # Hessian of 1/2 mean sq. err.
        lam, U = torch.linalg.eigh(A)
        theta_star = torch.linalg.lstsq(X, target[:, None]).solution.squeeze(1)
        x0 = U.T @ (torch.zeros(13, dtype=torch.float64) - theta_star)          # error in the eigenbasis
        f0 = 0.5 * (lam * x0 ** 2).sum().item()
        lr = 1.0 / lam.max().item()
        n_it = iterations_to_tolerance(lam.clamp(min=1e-300), lr, tol=cfg.tol * f0, max_steps=10 ** 15, x0=x0)
        out[f"wine_kappa_{name}"] = (lam.max() / lam.min()).item()
        out[f"wine_iterations_{name}"] = float(n_it)
        theta, curve = torch.zeros(13, dtype=torch.float64), []
        for _ in range(cfg.wine_steps):
            resid = X @ theta - target
            curve.append(0.5 * (resid ** 2).mean().item())
            theta = theta - lr * X.T @ resid / len(X)
        best = 0.5 * ((X @ theta_star - target) ** 2).mean().item()
        axes[1, 0].semilogy([max(c - best, 1e-16) for c in curve],
                            label=f"{name}: kappa {out[f'wine_kappa_{name}']:.1e}, {n_it:.2e} its to tol")
    out["standardization_speedup"] = out["wine_iterations_raw"] / out["wine_iterations_standardised"]
    axes[1, 0].set(title="Wine least squares, GD at lr = 1/lam_max: excess loss", xlabel="step")
    axes[1, 0].legend(fontsize=8)

    # 4. the error surface of a 1-feature linear regression, with GD's path (raw vs standardised)
    feat = feats[:, 11]                                                         # proline: large scale
    for name, z, color in (("raw", feat / 1000.0 + 0.5, "r"), ("standardised", (feat - feat.mean()) / feat.std(), "b")):
        loss = lambda t, z=z: ((t[:, :1] * z + t[:, 1:] - target) ** 2).mean(1) / 2  # noqa: E731
        X = torch.stack([z, torch.ones_like(z)], 1)
        lr = 1.0 / torch.linalg.eigvalsh(X.T @ X / len(X)).max().item()
        theta, path = torch.tensor([-4.0, 4.0], dtype=torch.float64), []
        for _ in range(60):
            path.append(theta)
            theta = theta - lr * X.T @ (X @ theta - target) / len(X)
        path = torch.stack(path)
        if name == "raw":
            ws, bs = torch.linspace(-6, 8, 120, dtype=torch.float64), torch.linspace(-2, 16, 120, dtype=torch.float64)
            e1, e2 = torch.eye(2, dtype=torch.float64)
            S = loss_landscape_grid(loss, torch.zeros(2, dtype=torch.float64), e1, e2, ws, bs, batched=True)
            axes[1, 1].contour(ws, bs, S.T.log(), levels=25, cmap="Greys", linewidths=0.6)
        axes[1, 1].plot(path[:, 0], path[:, 1], f"{color}.-", ms=3, lw=0.8, label=f"GD, {name} feature")
    axes[1, 1].set(title="Error surface (raw proline / 1000) and 60 GD steps", xlabel="w", ylabel="b")
    axes[1, 1].legend(fontsize=8)
    run.save_figure(fig, "lr_conditioning")
    return out


# ----------------------------------------------------------------------------------------------
# gradient clipping
# ----------------------------------------------------------------------------------------------
@dataclass
class GradientClippingConfig:
    gap: int = 20
    hidden: int = 64
    vocab: int = 8
    n_train: int = 1024
    batch_size: int = 64
    steps: int = 600
    lr: float = 1.0
    recurrent_scale: float = 2.0   # W_hh x 2 at init: spectral radius > 1, the exploding regime
    clip: float = 1.0              # c for value, norm and rescaling
    target_frac: float = 0.75      # "reached" = smoothed loss <= target_frac x chance
    spike_factor: float = 2.0      # a step whose loss exceeds factor x the running minimum is a spike


class _RecallRNN(nn.Module):
    def __init__(self, vocab_size: int, hidden: int, classes: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 16)
        self.rnn = nn.RNN(16, hidden, nonlinearity="tanh", batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, tokens):                                         # (B, T)
        h, _ = self.rnn(self.embed(tokens))                            # (B, T, H)
        return self.head(h[:, -1])                                     # (B, classes)


@experiment("gradient-clipping", chapter="optimization", exp_id="exp.optimization.gradient_clipping",
            items=["optimization.gradient_clipping", "sequences.elman_rnn", "sequences.bptt"],
            bars=[Bar("noclip_unstable", "==", 1.0, "without clipping the loss spikes or becomes NaN"),
                  Bar("normclip_stable", "==", 1.0, "norm clipping: finite loss, no spike late in training"),
                  Bar("normclip_final_loss_vs_chance", "<", 0.75, "norm clipping learns the task"),
                  Bar("rescale_stable", "==", 1.0),
                  Bar("rescale_slowdown", ">", 1.0, "unconditional rescaling reaches the loss later")],
            quick=dict(steps=20, n_train=128, gap=10),
            budget="~50 s on 2 busy CPU cores")
def gradient_clipping(cfg: GradientClippingConfig, run: Run) -> dict:
    """Gradient clipping for exploding gradients."""
    plt = _plt()
    from ..data.sequence_tasks import make_recall_task, sequence_vocab_size

    src, tgt = make_recall_task(cfg.n_train, gap=cfg.gap, vocab=cfg.vocab, generator=run.generator)
    chance = math.log(cfg.vocab)

    def clip_value(params):
        torch.nn.utils.clip_grad_value_(params, cfg.clip)

    def clip_norm(params):
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)

    def rescale(params):                                   # 003 L6.16: g <- c g / ||g|| always
        total = torch.sqrt(sum((p.grad ** 2).sum() for p in params if p.grad is not None))
        for p in params:
            if p.grad is not None:
                p.grad.mul_(cfg.clip / (total + 1e-12))

    methods = {"none": None, "value": clip_value, "norm": clip_norm, "rescale": rescale}
    curves, norms = {}, {}
    for name, clip in methods.items():
        torch.manual_seed(run.seed)
        model = _RecallRNN(sequence_vocab_size(cfg.vocab), cfg.hidden, cfg.vocab)
        with torch.no_grad():
            model.rnn.weight_hh_l0.mul_(cfg.recurrent_scale)
        params = list(model.parameters())
        opt = SGD(params, lr=cfg.lr)
        g = torch.Generator().manual_seed(run.seed)
        curve, gn = [], []
        for step in range(cfg.steps):
            idx = torch.randint(cfg.n_train, (cfg.batch_size,), generator=g)
            opt.zero_grad()
            loss = F.cross_entropy(model(src[idx]), tgt[idx])
            if not torch.isfinite(loss):
                curve.append(float("nan"))
                break
            loss.backward()
            gn.append(torch.sqrt(sum((p.grad ** 2).sum() for p in params)).item())
            if clip is not None:
                clip(params)
            opt.step()
            curve.append(loss.item())
            run.log(step=step, method=name, loss=loss.item(), grad_norm=gn[-1])
        curves[name], norms[name] = curve, gn

    def smooth(c, k=20):
        c = torch.tensor(c, dtype=torch.float64)
        if len(c) < k:
            return c
        return torch.nn.functional.avg_pool1d(c[None, None], k, 1)[0, 0]

    def unstable(c) -> bool:
        """NaN, or a loss spike: a step whose loss exceeds spike_factor x the best smoothed loss so far."""
        if any(math.isnan(v) for v in c):
            return True
        s = smooth(c)
        best = torch.cummin(s, 0).values
        return bool((s[1:] > cfg.spike_factor * best[:-1]).any())

    def steps_to(c, level) -> float:
        s = smooth(c)
        hit = (s <= level).nonzero()
        return float(hit[0, 0]) if len(hit) else float("inf")

    out: dict[str, float] = {}
    for name, c in curves.items():
        out[f"{name}_final_loss"] = float(smooth(c)[-1]) if not math.isnan(c[-1]) else float("nan")
        out[f"{name}_unstable"] = float(unstable(c))
        out[f"{name}_max_grad_norm"] = max(norms[name]) if norms[name] else float("nan")
    out["noclip_unstable"] = out["none_unstable"]
    out["normclip_stable"] = 1.0 - out["norm_unstable"]
    out["rescale_stable"] = 1.0 - out["rescale_unstable"]
    out["normclip_final_loss_vs_chance"] = out["norm_final_loss"] / chance
    level = cfg.target_frac * chance
    t_norm, t_res = steps_to(curves["norm"], level), steps_to(curves["rescale"], level)
    out["steps_to_target_norm"], out["steps_to_target_rescale"] = t_norm, t_res
    # never reaching the target counts as reaching it at the last step (a lower bound on the slowdown)
    t_res = min(t_res, float(len(curves["rescale"])))
    t_norm = min(t_norm, float(len(curves["norm"])))
    out["rescale_slowdown"] = t_res / max(t_norm, 1.0)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.5))
    for name, c in curves.items():
        a1.plot(c, lw=0.6, alpha=0.8, label=f"{name} (final {out[f'{name}_final_loss']:.3f})")
    a1.axhline(chance, color="k", ls=":", label="chance (log V)")
    a1.set(title=f"Recall after {cfg.gap} distractors, tanh RNN, lr = {cfg.lr}", xlabel="step", ylabel="loss",
           ylim=(0, 3 * chance))
    a1.legend(fontsize=8)
    a2.semilogy(norms["none"], lw=0.6, label="||g|| without clipping")
    a2.axhline(cfg.clip, color="r", ls="--", label=f"c = {cfg.clip}")
    a2.set(title="Gradient norm per step (choose c from this)", xlabel="step")
    a2.legend()
    run.save_figure(fig, "gradient_clipping")
    return out
