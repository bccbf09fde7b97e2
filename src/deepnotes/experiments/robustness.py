"""Robustness experiments on the 8x8 digits (inputs in [0, 1]).

``white-box-attacks`` (exp.rob.white_box_attacks): FGSM / PGD (L_inf, L_2), targeted PGD and the
Lagrangian attack with lambda from dual gradient ascent against a digits MLP and CNN; accuracy vs
eps; every PGD iterate checked against the budget.
``black-box-attacks`` (exp.rob.black_box_attacks): transfer matrix across MLP / CNN / logistic
regression surrogates (one trained on the target's query labels), ensembles, random-noise baseline,
finite-difference gradients with query counting.
``special-attacks`` (exp.rob.special_attacks): one-pixel, universal, EOT (physical), gradient and
evolutionary fooling images, backdoor and adversarial reprogramming, each against its baseline.
``defenses`` (exp.rob.defenses): blur / median / DCT / randomisation / AE purification vs naive
and adaptive attacks; FGSM adversarial training evaluated on seen (FGSM) and unseen (L2 PGD) attacks.
``linearity-calibration-shift`` (exp.rob.linearity_calibration_shift): logits along the sign
gradient, a 2-D logit map, ECE and max-softmax OOD AUC under covariate shift, and a spurious
background-colour classifier with saliency on the background.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data.digits import load_digits
from ..interpret import saliency
from ..robust import (AdversarialProgram, BPDAWrapper, InputTransformDefense, PurifiedClassifier,
                      QueryCounter, RandomizationDefense, EOTWrapper, adversarial_train, covariate_shift,
                      dual_lambda_search, eot_attack, evolve_fooling_image, expected_calibration_error,
                      finite_difference_gradient, fgsm, fooling_images, fooling_rate, linear_fit_r2, logit_line,
                      max_softmax_score, median_filter, one_pixel_attack, perturbation_norm, pgd, plot_reliability,
                      poison_dataset, random_physical_transform, roc_auc, spurious_background, stamp_trigger,
                      success_rate, transfer_attack, universal_perturbation, query_labels)
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["WhiteBoxConfig", "BlackBoxConfig", "SpecialAttacksConfig", "DefensesConfig", "LinearityShiftConfig"]


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def _cnn(in_ch: int = 1, classes: int = 10) -> nn.Module:
    return nn.Sequential(nn.Conv2d(in_ch, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 16, 32), nn.ReLU(), nn.Linear(32, classes))


def _logreg() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def _fit(model: nn.Module, x, y, steps: int, lr: float = 1e-2, seed: int = 0, run: Run | None = None,
         tag: str = "") -> nn.Module:
    """Full-batch Adam on cross-entropy; returns the frozen model in eval mode."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for s in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if run is not None and s % 20 == 0:
            run.log(step=s, **{f"{tag}loss": loss.item()})
    return model.eval().requires_grad_(False)


@torch.no_grad()
def _acc(model, x, y) -> float:
    return float((model(x).argmax(-1) == y).float().mean())


def _data():
    x, y = load_digits("train").tensors
    xt, yt = load_digits("test").tensors
    return x, y, xt, yt



# --------------------------------------------------------------------------------------------
@dataclass
class WhiteBoxConfig:
    train_steps: int = 300
    pgd_steps: int = 20
    eps_grid: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
    n_test: int = 360
    lagrange_steps: int = 60
    dual_rounds: int = 6


@experiment("white-box-attacks", chapter="robustness", exp_id="exp.rob.white_box_attacks",
            items=["robustness.fgsm", "robustness.pgd_attack", "robustness.attack_losses",
                   "robustness.perturbation_norms", "robustness.lagrangian_attack"],
            bars=[Bar("acc_drop_at_max_eps", ">=", 0.5, "accuracy collapses as eps grows"),
                  Bar("pgd_minus_fgsm_success", ">=", 0.0, "PGD >= FGSM success (MLP and CNN, every eps)"),
                  Bar("budget_violation", "<=", 1e-6, "every PGD iterate within the eps-ball and [0, 1]")],
            quick=dict(train_steps=40, pgd_steps=3, eps_grid=(0.0, 0.1, 0.3), n_test=60, lagrange_steps=5,
                       dual_rounds=1),
            budget="~30 s on 2 CPU cores")
def white_box_attacks(cfg: WhiteBoxConfig, run: Run) -> dict:
    """Accuracy vs eps for FGSM / PGD on a digits MLP and CNN; targeted and Lagrangian attacks."""
    plt = _plt()
    x, y, xt, yt = _data()
    xt, yt = xt[:cfg.n_test], yt[:cfg.n_test]
    models = {"mlp": _fit(_mlp(), x, y, cfg.train_steps, seed=run.seed, run=run, tag="mlp_"),
              "cnn": _fit(_cnn(), x, y, cfg.train_steps, lr=2e-2, seed=run.seed, run=run, tag="cnn_")}
    curves, worst_gap, violation = {}, 1.0, 0.0
    for name, m in models.items():
        for i, eps in enumerate(cfg.eps_grid):
            a_f = _acc(m, fgsm(m, xt, yt, eps), yt)

            def cb(t, xa, eps=eps):
                nonlocal violation
                violation = max(violation, float((xa - xt).abs().max()) - eps,
                                float(-xa.min()), float(xa.max()) - 1)

            a_p = _acc(m, pgd(m, xt, yt, eps=eps, alpha=max(eps, 1e-6) / 4, steps=cfg.pgd_steps, callback=cb), yt)
            curves.setdefault(name, []).append((eps, a_f, a_p))
            worst_gap = min(worst_gap, a_f - a_p)      # PGD success - FGSM success = acc_F - acc_P
            run.log(step=i, **{f"{name}_fgsm_acc": a_f, f"{name}_pgd_acc": a_p, "eps": eps})
    m = models["mlp"]
    tgt = (yt + 1) % 10
    adv_t = pgd(m, xt, tgt, eps=0.2, alpha=0.05, steps=cfg.pgd_steps, targeted=True)
    targeted_success = _acc(m, adv_t, tgt)
    l2_acc = _acc(m, pgd(m, xt, yt, eps=1.0, alpha=0.25, steps=cfg.pgd_steps, norm="2"), yt)
    lam, adv_l = dual_lambda_search(m, xt, yt, budget=0.5, lam0=1.0, rho=2.0, rounds=cfg.dual_rounds,
                                    steps=cfg.lagrange_steps)
    lag_sq = float(perturbation_norm(adv_l - xt, 2).pow(2).mean())
    lag_acc = _acc(m, adv_l, yt)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (name, rows) in zip(axes, curves.items()):
        e = [r[0] for r in rows]
        ax.plot(e, [r[1] for r in rows], "o-", label="FGSM")
        ax.plot(e, [r[2] for r in rows], "s-", label=f"PGD ({cfg.pgd_steps} steps)")
        ax.set(title=f"digits {name}", xlabel="eps (L_inf)", ylabel="accuracy", ylim=(0, 1))
        ax.legend()
    run.save_figure(fig, "accuracy_vs_eps")
    fig, axes = plt.subplots(3, 8, figsize=(10, 4))
    adv = pgd(m, xt[:8], yt[:8], eps=0.15, alpha=0.04, steps=cfg.pgd_steps)
    with torch.no_grad():
        pc, pa = m(xt[:8]).argmax(-1), m(adv).argmax(-1)
    for j in range(8):
        for r, (img, title) in enumerate([(xt[j], f"clean {int(pc[j])}"), (adv[j], f"adv {int(pa[j])}"),
                                          ((adv[j] - xt[j]) * 3 + 0.5, "delta x3")]):
            axes[r, j].imshow(img[0].clamp(0, 1), cmap="gray", vmin=0, vmax=1)
            axes[r, j].set_title(title, fontsize=7)
            axes[r, j].axis("off")
    run.save_figure(fig, "adversarial_examples")
    mlp_rows = curves["mlp"]
    return {"clean_acc_mlp": mlp_rows[0][1], "clean_acc_cnn": curves["cnn"][0][1],
            "acc_drop_at_max_eps": min(rows[0][2] - rows[-1][2] for rows in curves.values()),
            "pgd_minus_fgsm_success": worst_gap, "budget_violation": max(violation, 0.0),
            "targeted_success": targeted_success, "l2_pgd_acc": l2_acc, "lagrange_lambda": lam,
            "lagrange_mean_sq_l2": lag_sq, "lagrange_acc": lag_acc}


# --------------------------------------------------------------------------------------------
@dataclass
class BlackBoxConfig:
    train_steps: int = 300
    eps: float = 0.15
    n_fd: int = 20
    n_test: int = 360


@experiment("black-box-attacks", chapter="robustness", exp_id="exp.rob.black_box_attacks",
            items=["robustness.transfer_attack", "robustness.finite_difference_attack"],
            bars=[Bar("transfer_minus_noise", ">", 0.1, "MLP->CNN transfer success well above random +-eps noise"),
                  Bar("ensemble_minus_best_single", ">=", 0.0, "ensembles transfer best"),
                  Bar("fd_cos_min", ">", 0.99, "finite-difference gradients match autograd"),
                  Bar("fd_queries_per_estimate", "==", 65.0, "d + 1 queries per gradient (d = 64)")],
            quick=dict(train_steps=40, n_fd=2, n_test=80), budget="~20 s on 2 CPU cores")
def black_box_attacks(cfg: BlackBoxConfig, run: Run) -> dict:
    """Transfer matrix across MLP / CNN / LR, ensembles, query-trained proxy, finite differences."""
    plt = _plt()
    x, y, xt, yt = _data()
    xt, yt = xt[:cfg.n_test], yt[:cfg.n_test]
    s = run.seed
    models = {"mlp": _fit(_mlp(), x, y, cfg.train_steps, seed=s), "cnn": _fit(_cnn(), x, y, cfg.train_steps, 2e-2, s + 1),
              "logreg": _fit(_logreg(), x, y, cfg.train_steps, 5e-2, s + 2)}
    target = models["cnn"]
    # proxy trained only on the target's answers to queries (unlabelled inputs)
    models["mlp_from_queries"] = _fit(_mlp(), x, query_labels(target, x), cfg.train_steps, seed=s + 3)
    names = list(models)
    matrix = torch.zeros(len(names), 3)
    for i, src in enumerate(names):
        for j, dst in enumerate(["mlp", "cnn", "logreg"]):
            matrix[i, j] = transfer_attack(models[src], models[dst], xt, yt, cfg.eps)[1]
    g = torch.Generator().manual_seed(s)
    noise = (xt + cfg.eps * (torch.randint(0, 2, xt.shape, generator=g) * 2 - 1)).clamp(0, 1)
    noise_success = success_rate(target, xt, noise, yt)
    singles = {n: transfer_attack(models[n], target, xt, yt, cfg.eps)[1] for n in ("mlp", "logreg", "mlp_from_queries")}
    ensemble = transfer_attack([models["mlp"], models["logreg"], models["mlp_from_queries"]], target, xt, yt, cfg.eps)[1]
    # finite differences on a smooth (tanh) model: compare with autograd
    torch.manual_seed(s)
    smooth = _fit(nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)), x, y, cfg.train_steps)
    smooth = smooth.double()        # confident predictions have tiny losses: float64 keeps h = 1e-3 exact enough
    counter = QueryCounter(smooth)
    xs, ys = xt[:cfg.n_fd].double(), yt[:cfg.n_fd]
    est = finite_difference_gradient(counter, xs, ys)
    xr = xs.clone().requires_grad_(True)
    F.cross_entropy(smooth(xr), ys, reduction="sum").backward()
    cos = F.cosine_similarity(est.flatten(1), xr.grad.flatten(1), dim=1)
    for k, c in enumerate(cos.tolist()):
        run.log(step=k, fd_cos=c)
    fig, ax = plt.subplots(figsize=(5, 4))
    im = ax.imshow(matrix.numpy(), vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(3), ["mlp", "cnn", "logreg"])
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="target", ylabel="surrogate", title=f"transfer success, eps={cfg.eps} (noise {noise_success:.2f})")
    for i in range(len(names)):
        for j in range(3):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", color="w")
    fig.colorbar(im)
    run.save_figure(fig, "transfer_matrix")
    return {"transfer_mlp_to_cnn": singles["mlp"], "noise_success": noise_success,
            "transfer_minus_noise": singles["mlp"] - noise_success, "transfer_query_proxy": singles["mlp_from_queries"],
            "ensemble_success": ensemble, "ensemble_minus_best_single": ensemble - max(singles.values()),
            "fd_cos_min": float(cos.min()), "fd_queries_per_estimate": counter.queries / cfg.n_fd}


# --------------------------------------------------------------------------------------------
@dataclass
class SpecialAttacksConfig:
    train_steps: int = 200
    eps: float = 0.1
    n_one_pixel: int = 20
    de_iter: int = 20
    eot_steps: int = 20
    evo_generations: int = 500
    backdoor_steps: int = 300
    reprogram_steps: int = 100


@experiment("special-attacks", chapter="robustness", exp_id="exp.rob.special_attacks",
            items=["robustness.one_pixel_attack", "robustness.universal_perturbation",
                   "robustness.fooling_images", "robustness.evolutionary_fooling", "robustness.backdoor_attack",
                   "robustness.adversarial_reprogramming"],
            bars=[Bar("one_pixel_minus_random", ">", 0.0, "one-pixel DE beats a random single pixel"),
                  Bar("universal_minus_random", ">", 0.0, "universal delta beats random delta of equal norm"),
                  Bar("fooling_min_conf", ">", 0.99, "gradient fooling images > 0.99 confidence"),
                  Bar("evolution_conf", ">", 0.9, "evolutionary fooling > 0.9 with queries only"),
                  Bar("backdoor_clean_gap", "<=", 0.02, "clean accuracy kept within 2 points"),
                  Bar("backdoor_success", ">", 0.9, "trigger success > 90%"),
                  Bar("reprogram_minus_chance", ">", 0.0, "reprogrammed accuracy above chance")],
            quick=dict(train_steps=40, n_one_pixel=2, de_iter=3, eot_steps=2, evo_generations=5, backdoor_steps=30,
                       reprogram_steps=5),
            budget="~60 s on 2 CPU cores")
def special_attacks(cfg: SpecialAttacksConfig, run: Run) -> dict:
    """One-pixel, universal, EOT, fooling, evolutionary, backdoor and reprogramming on a digits CNN."""
    plt = _plt()
    x, y, xt, yt = _data()
    s = run.seed
    cnn = _fit(_cnn(), x, y, cfg.train_steps, 2e-2, s)
    g = torch.Generator().manual_seed(s)
    # one pixel vs a random single pixel
    wins, rnd_wins = 0, 0
    for i in range(cfg.n_one_pixel):
        adv, flipped = one_pixel_attack(cnn, xt[i], int(yt[i]), maxiter=cfg.de_iter, popsize=10, seed=s + i)
        wins += flipped
        r = xt[i].clone()
        r[0, int(torch.randint(0, 8, (1,), generator=g)), int(torch.randint(0, 8, (1,), generator=g))] = float(torch.rand(1, generator=g))
        rnd_wins += int(cnn(r[None]).argmax()) != int(yt[i])
        run.log(step=i, one_pixel_success=wins / (i + 1))
    # universal perturbation
    delta = universal_perturbation(cnn, x, y, cfg.eps, steps=max(cfg.eot_steps * 3, 6), generator=g)
    rnd = cfg.eps * (torch.randint(0, 2, delta.shape, generator=g) * 2 - 1)
    uni, uni_rnd = fooling_rate(cnn, xt, delta), fooling_rate(cnn, xt, rnd)
    # EOT vs PGD under mild random rotations / brightness
    T = functools.partial(random_physical_transform, max_shift=0, max_angle=10.0, brightness=0.3)
    X, Y = xt[:120], yt[:120]
    plain = pgd(cnn, X, Y, eps=cfg.eps, alpha=cfg.eps / 4, steps=cfg.eot_steps)
    eot = eot_attack(cnn, X, Y, cfg.eps, steps=cfg.eot_steps, samples=6, transform=T, generator=g)

    def survive(adv):
        ge = torch.Generator().manual_seed(s + 99)
        return sum(1 - _acc(cnn, T(adv, generator=ge), Y) for _ in range(5)) / 5

    eot_s, pgd_s = survive(eot), survive(plain)
    # fooling images: gradient and evolutionary
    fool = fooling_images(cnn, (1, 8, 8), torch.arange(10), steps=max(cfg.evo_generations, 50), generator=g)
    with torch.no_grad():
        fool_conf = cnn(fool).softmax(-1)[torch.arange(10), torch.arange(10)]
    counter = QueryCounter(cnn)
    evo_img, evo_conf, evo_gens = evolve_fooling_image(counter, (1, 8, 8), 3, encoding="cppn",
                                                       generations=cfg.evo_generations, generator=g)
    # backdoor
    xp, yp, _ = poison_dataset(x, y, 0.05, target_class=0, generator=g)
    clean_m = _fit(_mlp(), x, y, cfg.backdoor_steps, seed=s + 5)
    bad_m = _fit(_mlp(), xp, yp, cfg.backdoor_steps, seed=s + 5)
    keep = yt != 0
    bd_success = _acc(bad_m, stamp_trigger(xt[keep]), torch.zeros_like(yt[keep]))
    bd_gap = abs(_acc(bad_m, xt, yt) - _acc(clean_m, xt, yt))
    # reprogramming: horizontal vs vertical bars (4x4) through the frozen CNN
    n = 200
    ry = torch.randint(0, 2, (n,), generator=g)
    pos = torch.randint(0, 4, (n,), generator=g)
    small = torch.zeros(n, 1, 4, 4)
    for i in range(n):
        if ry[i] == 0:
            small[i, 0, pos[i], :] = 1
        else:
            small[i, 0, :, pos[i]] = 1
    prog = AdversarialProgram(cnn, (1, 8, 8), (4, 4), label_map=[0, 1])
    opt = torch.optim.Adam([prog.weight], lr=0.1)
    for t in range(cfg.reprogram_steps):
        loss = F.cross_entropy(prog(small[:100]), ry[:100])
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log(step=t, reprogram_loss=loss.item())
    with torch.no_grad():
        rep_acc = float((prog(small[100:]).argmax(-1) == ry[100:]).float().mean())

    fig, axes = plt.subplots(2, 6, figsize=(10, 4))
    panels = [(xt[0], "clean"), (adv, "one-pixel"), (delta[0] * 3 + 0.5, "universal x3"), (eot[0], "EOT"),
              (stamp_trigger(xt[:1])[0], "trigger"), (prog.program()[0] * 0.5 + 0.5, "program")]
    panels += [(fool[k], f"fool {k}") for k in range(5)] + [(evo_img, f"CPPN p={evo_conf:.2f}")]
    for ax, (img, title) in zip(axes.flat, panels):
        ax.imshow(img[0].detach().clamp(0, 1), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    run.save_figure(fig, "special_attacks")
    k = max(cfg.n_one_pixel, 1)
    return {"one_pixel_success": wins / k, "one_pixel_minus_random": (wins - rnd_wins) / k,
            "universal_fooling": uni, "universal_minus_random": uni - uni_rnd, "eot_success": eot_s,
            "pgd_success_under_transforms": pgd_s, "eot_minus_pgd": eot_s - pgd_s,
            "fooling_min_conf": float(fool_conf.min()), "evolution_conf": evo_conf, "evolution_generations": float(evo_gens),
            "evolution_queries": float(counter.queries), "backdoor_clean_gap": bd_gap, "backdoor_success": bd_success,
            "reprogram_acc": rep_acc, "reprogram_minus_chance": rep_acc - 0.5}


# --------------------------------------------------------------------------------------------
@dataclass
class DefensesConfig:
    train_steps: int = 300
    eps: float = 0.1
    pgd_steps: int = 20
    ae_steps: int = 400
    adv_epochs: int = 30


@experiment("defenses", chapter="robustness", exp_id="exp.rob.defenses",
            items=["robustness.input_transform_defense", "robustness.generator_defense",
                   "robustness.randomization_defense", "robustness.adversarial_training"],
            bars=[Bar("blur_naive_success_drop", ">", 0.0, "passive defence reduces naive attack success"),
                  Bar("blur_clean_cost", "<", 0.05, "small clean-accuracy cost"),
                  Bar("blur_adaptive_minus_naive", ">", 0.0, "adaptive attack restores success"),
                  Bar("advtrain_seen_minus_unseen_gain", ">", 0.0, "adversarial training helps most on its own attack")],
            quick=dict(train_steps=40, pgd_steps=3, ae_steps=20, adv_epochs=1), budget="~60 s on 2 CPU cores")
def defenses(cfg: DefensesConfig, run: Run) -> dict:
    """Passive defences vs naive and adaptive attacks; FGSM adversarial training on seen / unseen attacks."""
    plt = _plt()
    x, y, xt, yt = _data()
    s = run.seed
    m = _fit(_mlp(), x, y, cfg.train_steps, seed=s)
    attack = functools.partial(pgd, eps=cfg.eps, alpha=cfg.eps / 4, steps=cfg.pgd_steps)
    naive_adv = attack(m, xt, yt)
    base_success = success_rate(m, xt, naive_adv, yt)
    torch.manual_seed(s)
    enc = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 12))
    dec = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid(), nn.Unflatten(1, (1, 8, 8)))
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-2)
    for t in range(cfg.ae_steps):
        loss = (dec(enc(x)) - x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if t % 20 == 0:
            run.log(step=t, ae_loss=loss.item())
    rand_def = RandomizationDefense(m, 1.25, seed=s)
    defences = {"blur": InputTransformDefense(m, "blur", sigma=0.5, kernel_size=3),
                "median": InputTransformDefense(m, "median", kernel_size=3),
                "dct": InputTransformDefense(m, "dct", step=0.25),
                "random": rand_def, "ae": PurifiedClassifier(m, enc, dec)}
    adaptive_models = {"blur": defences["blur"], "median": BPDAWrapper(m, functools.partial(median_filter, kernel_size=3)),
                       "dct": BPDAWrapper(m, defences["dct"].preprocess),
                       "random": EOTWrapper(RandomizationDefense(m, 1.25), draws=4, generator=torch.Generator().manual_seed(s)),
                       "ae": nn.Sequential(enc, dec, m)}
    rows = {}
    for k, d in defences.items():
        clean = _acc(d, xt, yt)
        naive = success_rate(d, xt, naive_adv, yt)
        adaptive = success_rate(d, xt, attack(adaptive_models[k], xt, yt), yt)
        rows[k] = (clean, naive, adaptive)
        run.log(defence=k, clean_acc=clean, naive_success=naive, adaptive_success=adaptive)
    # adversarial training (FGSM) vs standard; seen = FGSM, unseen = L2 PGD
    std = adversarial_train(_mlp(), x, y, eps=0.0, epochs=cfg.adv_epochs, generator=torch.Generator().manual_seed(s))
    rob = adversarial_train(_mlp(), x, y, eps=cfg.eps, epochs=cfg.adv_epochs, generator=torch.Generator().manual_seed(s))
    seen = _acc(rob, fgsm(rob, xt, yt, cfg.eps), yt) - _acc(std, fgsm(std, xt, yt, cfg.eps), yt)
    l2 = dict(eps=1.0, alpha=0.25, steps=cfg.pgd_steps, norm="2")
    unseen = _acc(rob, pgd(rob, xt, yt, **l2), yt) - _acc(std, pgd(std, xt, yt, **l2), yt)

    fig, ax = plt.subplots(figsize=(8, 4))
    ks = list(rows)
    w = 0.27
    for j, (lab, col) in enumerate([("clean acc", 0), ("naive success", 1), ("adaptive success", 2)]):
        ax.bar([i + (j - 1) * w for i in range(len(ks))], [rows[k][col] for k in ks], w, label=lab)
    ax.axhline(base_success, color="k", ls="--", label="undefended PGD success")
    ax.set_xticks(range(len(ks)), ks)
    ax.set(ylim=(0, 1.05), title=f"defences at eps={cfg.eps}; adv. training gain seen {seen:+.2f} / unseen {unseen:+.2f}")
    ax.legend(fontsize=7)
    run.save_figure(fig, "defences")
    clean_m = _acc(m, xt, yt)
    return {"undefended_success": base_success, "blur_clean_cost": clean_m - rows["blur"][0],
            "blur_naive_success_drop": base_success - rows["blur"][1],
            "adaptive_minus_undefended": rows["blur"][2] - base_success,
            "blur_adaptive_minus_naive": rows["blur"][2] - rows["blur"][1],
            **{f"{k}_naive_success": v[1] for k, v in rows.items()},
            **{f"{k}_adaptive_success": v[2] for k, v in rows.items()},
            "advtrain_seen_gain": seen, "advtrain_unseen_gain": unseen, "advtrain_seen_minus_unseen_gain": seen - unseen}


# --------------------------------------------------------------------------------------------
@dataclass
class LinearityShiftConfig:
    train_steps: int = 300
    eps: float = 0.02
    n_line: int = 100
    grid: int = 41


@experiment("linearity-calibration-shift", chapter="robustness", exp_id="exp.rob.linearity_calibration_shift",
            items=["robustness.linearity_hypothesis", "robustness.calibration", "robustness.ood_confidence",
                   "robustness.distribution_shift_data", "interpretability.saliency_map"],
            bars=[Bar("logit_r2_median", ">", 0.95, "logits nearly linear along the sign gradient"),
                  Bar("ece_shift_minus_clean", ">", 0.0, "confidently wrong under shift (ECE grows)"),
                  Bar("spurious_test_acc", "<=", 0.65, "background classifier drops towards 50% when decorrelated"),
                  Bar("spurious_train_acc", ">=", 0.9, "the spurious cue solves the training set"),
                  Bar("saliency_background_frac", ">=", 0.0, "saliency mass on the background measured")],
            quick=dict(train_steps=40, n_line=20, grid=9), budget="~20 s on 2 CPU cores")
def linearity_calibration_shift(cfg: LinearityShiftConfig, run: Run) -> dict:
    """Logit linearity, 2-D logit map, ECE / OOD AUC under shift, spurious background colour."""
    plt = _plt()
    x, y, xt, yt = _data()
    s = run.seed
    g = torch.Generator().manual_seed(s)
    m = _fit(_mlp(), x, y, cfg.train_steps, seed=s)
    cs = torch.linspace(-10 * cfg.eps, 10 * cfg.eps, 21)
    line = logit_line(m, xt[:cfg.n_line], yt[:cfg.n_line], cs)         # (21, N, 10)
    r2 = linear_fit_r2(cs, line)                                        # (N, 10)
    # 2-D map: adversarial direction x random orthogonal sign direction for one image
    x0, y0 = xt[:1], yt[:1]
    xr = x0.clone().requires_grad_(True)
    F.cross_entropy(m(xr), y0).backward()
    d1 = xr.grad.sign()
    d2 = torch.randint(0, 2, d1.shape, generator=g).float() * 2 - 1
    d2 = d2 - (d2 * d1).sum() / (d1 * d1).sum() * d1                    # orthogonal to d1
    ab = torch.linspace(-0.3, 0.3, cfg.grid)
    A, B = torch.meshgrid(ab, ab, indexing="ij")
    with torch.no_grad():
        cls = m(x0 + A.reshape(-1, 1, 1, 1) * d1 + B.reshape(-1, 1, 1, 1) * d2).argmax(-1).view(cfg.grid, cfg.grid)
    # calibration and OOD under covariate shift
    with torch.no_grad():
        p_clean = m(xt).softmax(-1)
        shifted = {k: covariate_shift(xt, k, generator=g) for k in ("rotate", "noise", "invert")}
        p_shift = {k: m(v).softmax(-1) for k, v in shifted.items()}
    ece_clean = expected_calibration_error(p_clean, yt)
    ece_shift = {k: expected_calibration_error(p, yt) for k, p in p_shift.items()}
    auc = {k: roc_auc(p_clean.amax(-1), p.amax(-1)) for k, p in p_shift.items()}
    # spurious background colour: train 95% correlated, test 50%
    xs, ls, _ = spurious_background(x, y, 0.95, generator=g)
    xs_t, ls_t, _ = spurious_background(xt, yt, 0.5, generator=g)
    # a low-resolution model (4x4 average pooling) for which the colour cue is far easier than the digit
    sp = _fit(nn.Sequential(nn.AvgPool2d(4), nn.Flatten(), nn.Linear(12, 2)), xs, ls, cfg.train_steps, 5e-2, s)
    sp_train, sp_test = _acc(sp, xs, ls), _acc(sp, xs_t, ls_t)
    sal = saliency(sp, xs_t[:50].clone(), target=ls_t[:50]).detach()   # (50, 3, 8, 8) or (50, 8, 8)
    sal = sal.abs().sum(1) if sal.dim() == 4 else sal
    bg = xt[:50, 0] < 0.1                                              # (50, 8, 8) background pixels
    bg_frac = float((sal * bg).sum() / sal.sum().clamp_min(1e-12))

    fig, axes = plt.subplots(2, 3, figsize=(12, 7))
    for k in range(10):
        axes[0, 0].plot(cs, line[:, 0, k], label=str(k))
    axes[0, 0].set(title=f"logits along x + c sign(grad); median R2={float(r2.median()):.3f}", xlabel="c")
    axes[0, 1].imshow(cls.T.numpy(), origin="lower", extent=[-0.3, 0.3, -0.3, 0.3], cmap="tab10", vmin=0, vmax=9)
    axes[0, 1].set(title="predicted class: adversarial (x) vs random (y) direction")
    plot_reliability(axes[0, 2], p_clean, yt, label="clean")
    plot_reliability(axes[0, 2], p_shift["rotate"], yt, label="rotated")
    axes[0, 2].legend(fontsize=7)
    axes[1, 0].imshow(xs_t[0].permute(1, 2, 0).clamp(0, 1))
    axes[1, 0].set_title(f"spurious data: train acc {sp_train:.2f}, test {sp_test:.2f}")
    axes[1, 1].imshow(sal[0], cmap="hot")
    axes[1, 1].set_title(f"saliency; background share {bg_frac:.2f}")
    axes[1, 2].bar(["clean", *ece_shift], [ece_clean, *ece_shift.values()])
    axes[1, 2].set_title("ECE (15 bins)")
    run.save_figure(fig, "linearity_calibration_shift")
    for i, c in enumerate(cs.tolist()):
        run.log(step=i, c=c, logit_true=float(line[i, 0, int(yt[0])]))
    return {"logit_r2_median": float(r2.median()), "logit_r2_min": float(r2.min()), "ece_clean": ece_clean,
            **{f"ece_{k}": v for k, v in ece_shift.items()}, "ece_shift_minus_clean": ece_shift["rotate"] - ece_clean,
            **{f"ood_auc_{k}": v for k, v in auc.items()}, "spurious_train_acc": sp_train, "spurious_test_acc": sp_test,
            "saliency_background_frac": bg_frac}
