"""Generative chapter, latent-variable side: autoencoders and PCA, anomaly detection, flows,
autoregressive image models, diffusion (the notes' random walk vs DDPM).

``ae-vs-pca``:       PCA vs linear AE vs nonlinear AE at k in {2, 8, 16}; denoising AE; sparse AE;
                     layer-wise pretraining vs end-to-end; an AE on i.i.d. noise.
``ae-anomaly``:      AE (and PCA) trained on digits 0-8, digit 9 scored by reconstruction error.
``flows-moons``:     NICE vs RealNVP by exact maximum likelihood on two moons, GMM (EM) baseline,
                     invertibility and density integration.
``ar-digits``:       PixelCNN vs PixelRNN vs Image Transformer vs independent pixels on binarised digits.
``diffusion-2d``:    003's random walk + subtraction sampler vs DDPM (eps- and x_{t-1}-prediction) on
                     the 8-Gaussian ring, judged by MMD to held-out data.
Data: deepnotes.data ("digits", "moons", "ring8"); every experiment seeds from ``run``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .. import data
from ..generative import (PCA, AnomalyDetector, Autoencoder, DDPMSchedule, DenoisingAutoencoder,
                          DiffusionMLP, GaussianMixture, ImageTransformer, LinearAutoencoder, NormalizingFlow,
                          PixelCNN, PixelRNN, RandomWalkProcess, SparseAutoencoder, corrupt, ddpm_sample,
                          eps_prediction_loss, principal_angles, pretrain_layerwise, random_walk_eps_loss,
                          random_walk_sample, x_prediction_loss)
from .plotting import pyplot
from .registry import Bar, experiment
from .runner import Run

plt = pyplot()

__all__ = ["AEvsPCAConfig", "AEAnomalyConfig", "FlowsConfig", "ARDigitsConfig", "Diffusion2dConfig", "VAEFamilyConfig", "mmd_rbf"]


def _digits(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = data.load("digits", split, flatten=True).tensors
    return x, y


def _train(model, x, steps, lr, loss_fn=None, batch=128, gen=None, run=None, tag="loss"):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for i in range(steps):
        xb = x[torch.randint(len(x), (batch,), generator=gen)]
        loss = loss_fn(xb) if loss_fn else F.mse_loss(model(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if run is not None and (i % 50 == 0 or i == steps - 1):
            run.log(step=i, **{tag: loss.item()})
    return model


def _mse(model, x) -> float:
    with torch.no_grad():
        return F.mse_loss(model(x), x).item()


def _grid(ax, imgs, title, shape=(8, 8)):
    n = len(imgs)
    cols = min(n, 10)
    rows = math.ceil(n / cols)
    canvas = torch.ones(rows * (shape[0] + 1), cols * (shape[1] + 1))
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        canvas[r * (shape[0] + 1): r * (shape[0] + 1) + shape[0], c * (shape[1] + 1): c * (shape[1] + 1) + shape[1]] = \
            im.reshape(shape)
    ax.imshow(canvas, cmap="gray_r")
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def mmd_rbf(a: torch.Tensor, b: torch.Tensor, bandwidths=(0.1, 0.5, 1.0, 2.0)) -> float:
    """Biased MMD^2 with a sum of RBF kernels exp(-||x - y||^2 / (2 h^2))."""
    def k(u, v):
        d2 = torch.cdist(u, v) ** 2
        return sum(torch.exp(-d2 / (2 * h * h)) for h in bandwidths)
    return (k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean()).item()


# --------------------------------------------------------------------------------------------
@dataclass
class AEvsPCAConfig:
    steps: int = 3000
    lr: float = 3e-3
    ks: tuple = (2, 8, 16)
    dae_sigma: float = 0.3
    sparse_weight: float = 0.2
    pretrain_steps: int = 600
    finetune_steps: int = 600


@experiment("ae-vs-pca", chapter="generative", exp_id="exp.gen.autoencoders_pca",
            items=["generative.pca", "generative.linear_ae_pca", "generative.autoencoder",
                   "generative.denoising_autoencoder", "generative.sparse_autoencoder",
                   "generative.layerwise_pretraining"],
            bars=[Bar("linear_ae_max_angle", "<", 0.05, "linear AE spans the PCA subspace (k=8, radians)"),
                  Bar("ae_over_pca_mse_k2", "<=", 1.0, "nonlinear AE MSE <= PCA (k=2)"),
                  Bar("ae_over_pca_mse_k16", "<=", 1.1, "nonlinear AE within 10% of PCA (k=16)"),
                  Bar("dae_mse_ratio", "<", 0.5, "denoised closer to clean than the noisy input"),
                  Bar("noise_mse_over_var", ">=", 0.95, "random data is not compressible"),
                  Bar("e2e_minus_layerwise_acc", ">=", -0.01, "end-to-end matches or beats layer-wise")],
            quick=dict(steps=60, ks=(2,), pretrain_steps=20, finetune_steps=20), budget="~2 min")
def ae_vs_pca(cfg: AEvsPCAConfig, run: Run) -> dict:
    """Autoencoders vs PCA on digits: linear AE = PCA subspace, nonlinear AE, DAE, sparse AE, layer-wise."""
    torch.manual_seed(run.seed)
    gen = run.generator
    (xtr, ytr), (xte, yte) = _digits("train"), _digits("test")
    out: dict[str, float] = {}
    ks = list(cfg.ks)
    pca_mse, ae_mse = [], []
    for k in ks:
        pca = PCA(k).fit(xtr)
        pca_mse.append(F.mse_loss(pca.reconstruct(xte), xte).item())
        ae = _train(Autoencoder(64, k, (128,), generator=gen), xtr, cfg.steps, cfg.lr, gen=gen, run=run, tag=f"ae{k}_loss")
        ae_mse.append(_mse(ae, xte))
        out[f"pca_mse_k{k}"], out[f"ae_mse_k{k}"] = pca_mse[-1], ae_mse[-1]
    out["ae_over_pca_mse_k2"] = out.get("ae_mse_k2", ae_mse[0]) / out.get("pca_mse_k2", pca_mse[0])
    out["ae_over_pca_mse_k16"] = out.get("ae_mse_k16", ae_mse[-1]) / out.get("pca_mse_k16", pca_mse[-1])
    # linear AE on centred data vs the PCA subspace (k = 8), full-batch L-BFGS
    xc = (xtr - xtr.mean(0)).double()
    lin = LinearAutoencoder(64, 8, generator=gen).double()
    opt = torch.optim.LBFGS(lin.parameters(), max_iter=max(50, cfg.steps), tolerance_grad=1e-12,
                            tolerance_change=1e-15, history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((lin(xc) - xc) ** 2).sum(1).mean()
        loss.backward()
        return loss
    opt.step(closure)
    out["linear_ae_max_angle"] = principal_angles(lin.subspace(), PCA(8).fit(xc).components_.T).max().item()
    # denoising AE
    dae = DenoisingAutoencoder(64, 32, (128,), sigma=cfg.dae_sigma, generator=gen)
    _train(dae, xtr, cfg.steps, cfg.lr, loss_fn=dae.loss, gen=gen)
    dae.eval()
    noisy = corrupt(xte, cfg.dae_sigma, generator=gen)
    with torch.no_grad():
        denoised = dae(noisy)
    out["dae_mse_ratio"] = (F.mse_loss(denoised, xte) / F.mse_loss(noisy, xte)).item()
    # sparse AE: fraction of active hidden units
    sae = SparseAutoencoder(64, 128, "l1", cfg.sparse_weight)
    _train(sae, xtr, cfg.steps, cfg.lr, loss_fn=sae.loss, gen=gen)
    with torch.no_grad():
        out["sparse_active_fraction"] = (sae.encode(xte) > 1e-6).float().mean().item()
    # random data: nothing to compress
    noise_tr, noise_te = torch.rand(1000, 64, generator=gen), torch.rand(500, 64, generator=gen)
    ae_n = _train(Autoencoder(64, 2, (128,), generator=gen), noise_tr, cfg.steps, cfg.lr, gen=gen)   # k=2 of 64 iid dims
    out["noise_mse_over_var"] = _mse(ae_n, noise_te) / noise_te.var(0).mean().item()
    # layer-wise pretraining + fine-tuning vs end-to-end, same architecture and fine-tuning budget

    def classify(encoder):
        model = torch.nn.Sequential(encoder, torch.nn.Linear(16, 10))
        o = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        for _ in range(cfg.finetune_steps):
            i = torch.randint(len(xtr), (128,), generator=gen)
            loss = F.cross_entropy(model(xtr[i]), ytr[i])
            o.zero_grad()
            loss.backward()
            o.step()
        with torch.no_grad():
            return (model(xte).argmax(1) == yte).float().mean().item()
    stacked = pretrain_layerwise(xtr, [32, 16], steps=cfg.pretrain_steps, lr=cfg.lr, seed=run.seed)
    out["layerwise_acc"] = classify(stacked)
    torch.manual_seed(run.seed)
    scratch = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 16), torch.nn.Tanh())
    out["e2e_acc"] = classify(scratch)
    out["e2e_minus_layerwise_acc"] = out["e2e_acc"] - out["layerwise_acc"]

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
    axes[0].plot(ks, pca_mse, "o-", label="PCA")
    axes[0].plot(ks, ae_mse, "s-", label="nonlinear AE")
    axes[0].set_xlabel("code size k")
    axes[0].set_ylabel("test MSE")
    axes[0].legend()
    _grid(axes[1], torch.cat([xte[:10], noisy[:10].clamp(0, 1), denoised[:10].clamp(0, 1)]),
          "clean / noisy (sigma=%.1f) / DAE" % cfg.dae_sigma)
    axes[2].bar(["layer-wise", "end-to-end"], [out["layerwise_acc"], out["e2e_acc"]])
    axes[2].set_ylim(0, 1)
    axes[2].set_title("digit accuracy after fine-tuning")
    fig.tight_layout()
    run.save_figure(fig, "ae_vs_pca")
    plt.close(fig)
    return out


# --------------------------------------------------------------------------------------------
@dataclass
class AEAnomalyConfig:
    steps: int = 2000
    lr: float = 3e-3
    code: int = 8
    quantile: float = 0.99


@experiment("ae-anomaly", chapter="generative", exp_id="exp.gen.anomaly_detection",
            items=["generative.ae_anomaly_detection", "generative.autoencoder", "generative.pca"],
            bars=[Bar("auc_ae", ">", 0.8, "digit 9 vs rest ROC-AUC"),
                  Bar("normal_test_fpr", "<=", 0.03, "~1% false positives at the 99th-percentile threshold")],
            quick=dict(steps=50), budget="~20 s")
def ae_anomaly(cfg: AEAnomalyConfig, run: Run) -> dict:
    """Autoencoder anomaly detection: train on digits 0-8, flag 9s by reconstruction error."""
    from sklearn.metrics import roc_auc_score, roc_curve
    torch.manual_seed(run.seed)
    gen = run.generator
    (xtr, ytr), (xva, yva), (xte, yte) = _digits("train"), _digits("val"), _digits("test")
    normal = xtr[ytr != 9]
    ae = _train(Autoencoder(64, cfg.code, (64,), generator=gen), normal, cfg.steps, cfg.lr, gen=gen, run=run)
    ae.eval()
    out = {}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, rec in (("ae", ae), ("pca", PCA(cfg.code).fit(normal).reconstruct)):
        det = AnomalyDetector(rec, cfg.quantile).fit_threshold(xva[yva != 9])
        scores = det.score(xte)
        out[f"auc_{name}"] = float(roc_auc_score((yte == 9).numpy(), scores.numpy()))
        flags = det.predict(xte)
        out[f"{name}_normal_fpr"] = flags[yte != 9].float().mean().item()
        out[f"{name}_recall_9"] = flags[yte == 9].float().mean().item()
        fpr, tpr, _ = roc_curve((yte == 9).numpy(), scores.numpy())
        axes[1].plot(fpr, tpr, label=f"{name} AUC={out[f'auc_{name}']:.3f}")
        if name == "ae":
            axes[0].hist(scores[yte != 9].numpy(), 40, alpha=0.6, label="digits 0-8", density=True)
            axes[0].hist(scores[yte == 9].numpy(), 40, alpha=0.6, label="digit 9", density=True)
            axes[0].axvline(det.threshold_, color="k", ls="--", label="99% threshold")
    out["normal_test_fpr"] = out["ae_normal_fpr"]
    axes[0].set_xlabel("reconstruction MSE")
    axes[0].legend()
    axes[1].plot([0, 1], [0, 1], "k:")
    axes[1].set_xlabel("false positive rate")
    axes[1].set_ylabel("true positive rate")
    axes[1].legend()
    fig.tight_layout()
    run.save_figure(fig, "anomaly")
    plt.close(fig)
    return out


# --------------------------------------------------------------------------------------------
@dataclass
class FlowsConfig:
    steps: int = 1500
    lr: float = 2e-3
    layers: int = 6
    hidden: int = 64
    n_train: int = 2000
    gmm_components: int = 8
    gmm_iters: int = 200
    grid: int = 200


@experiment("flows-moons", chapter="generative", exp_id="exp.gen.flows",
            items=["generative.change_of_variables", "generative.normalizing_flow", "generative.additive_coupling",
                   "generative.affine_coupling", "generative.toy_distributions", "generative.gaussian_mixture"],
            bars=[Bar("max_inverse_error", "<", 1e-5, "x = f(f^-1(x)) for both flows"),
                  Bar("realnvp_minus_nice_test_ll", ">", 0.0, "RealNVP beats volume-preserving NICE"),
                  Bar("max_density_integral_error", "<", 0.02, "learned densities integrate to 1")],
            quick=dict(steps=20, n_train=256, gmm_iters=5, grid=60), budget="~1 min")
def flows_moons(cfg: FlowsConfig, run: Run) -> dict:
    """NICE vs RealNVP on two moons by exact maximum likelihood, with a GMM (EM) baseline."""
    torch.manual_seed(run.seed)
    gen = run.generator
    xtr = data.load("moons", "train", n=cfg.n_train, seed=run.seed).tensors[0]
    xte = data.load("moons", "test", n=2000, seed=run.seed).tensors[0]
    mean, std = xtr.mean(0), xtr.std(0)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    out: dict[str, float] = {}
    flows = {}
    lim = 4.0
    g1 = torch.linspace(-lim, lim, cfg.grid)
    gx, gy = torch.meshgrid(g1, g1, indexing="ij")
    pts = torch.stack([gx.flatten(), gy.flatten()], 1)
    cell = (g1[1] - g1[0]).item() ** 2
    inv_err, integ_err = [], []
    for name, coupling in (("nice", "additive"), ("realnvp", "affine")):
        torch.manual_seed(run.seed)
        flow = NormalizingFlow(2, cfg.layers, cfg.hidden, coupling)
        opt = torch.optim.Adam(flow.parameters(), lr=cfg.lr)
        for i in range(cfg.steps):
            xb = xtr[torch.randint(len(xtr), (256,), generator=gen)]
            loss = -flow.log_prob(xb).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i % 50 == 0 or i == cfg.steps - 1:
                run.log(step=i, **{f"{name}_nll": loss.item()})
        with torch.no_grad():
            out[f"{name}_test_ll"] = flow.log_prob(xte).mean().item()
            z, _ = flow(xte)
            inv_err.append((flow.inverse(z)[0] - xte).abs().max().item())
            dens = flow.log_prob(pts).exp()
            integ_err.append(abs(dens.sum().item() * cell - 1))
        flows[name] = (flow, dens)
    gmm = GaussianMixture(cfg.gmm_components, max_iter=cfg.gmm_iters, seed=run.seed).fit(xtr)
    out["gmm_test_ll"] = gmm.score(xte)
    out["max_inverse_error"] = max(inv_err)
    out["max_density_integral_error"] = max(integ_err)
    out["realnvp_minus_nice_test_ll"] = out["realnvp_test_ll"] - out["nice_test_ll"]

    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    axes[0].scatter(xte[:, 0], xte[:, 1], s=2)
    axes[0].set_title("two moons (test)")
    for ax, name in zip(axes[1:3], ("nice", "realnvp")):
        ax.contourf(gx, gy, flows[name][1].reshape(cfg.grid, cfg.grid), 30)
        ax.set_title(f"{name}: test LL {out[name + '_test_ll']:.3f}")
    with torch.no_grad():
        gd = gmm.score_samples(pts).exp().reshape(cfg.grid, cfg.grid)
    axes[3].contourf(gx, gy, gd, 30)
    axes[3].set_title(f"GMM-{cfg.gmm_components} (EM): test LL {out['gmm_test_ll']:.3f}")
    fig.tight_layout()
    run.save_figure(fig, "flow_densities")
    plt.close(fig)
    return out


# --------------------------------------------------------------------------------------------
@dataclass
class ARDigitsConfig:
    epochs: int = 15
    lr: float = 3e-3
    batch_size: int = 64
    train_limit: int = 0              # > 0: use only this many training images (quick)


@experiment("ar-digits", chapter="generative", exp_id="exp.gen.autoregressive",
            items=["generative.autoregressive_density", "generative.masked_conv", "generative.pixelcnn",
                   "generative.pixelrnn", "generative.image_transformer"],
            bars=[Bar("pixelcnn_minus_baseline_nll", "<", 0.0, "PixelCNN beats independent pixels"),
                  Bar("pixelrnn_minus_baseline_nll", "<", 0.0, "PixelRNN beats independent pixels"),
                  Bar("transformer_minus_baseline_nll", "<", 0.0, "Image Transformer beats independent pixels"),
                  Bar("pixelrnn_over_pixelcnn_step_time", ">", 1.0, "PixelCNN trains faster per step"),
                  Bar("sampling_calls_per_pixel", "==", 1.0, "sampling cost is linear in the pixel count")],
            quick=dict(epochs=1, train_limit=128), budget="~2 min")
def ar_digits(cfg: ARDigitsConfig, run: Run) -> dict:
    """PixelCNN vs PixelRNN vs Image Transformer vs independent pixels on binarised 8x8 digits (NLL, nats)."""
    torch.manual_seed(run.seed)
    gen = run.generator
    xtr = (data.load("digits", "train").tensors[0] > 0.5).float()          # (N, 1, 8, 8)
    xte = (data.load("digits", "test").tensors[0] > 0.5).float()
    if cfg.train_limit:
        xtr, xte = xtr[: cfg.train_limit], xte[: cfg.train_limit]
    p = xtr.mean(0).clamp(1e-3, 1 - 1e-3)
    baseline = -(xte * p.log() + (1 - xte) * (1 - p).log()).flatten(1).sum(1).mean().item()
    out = {"baseline_nll": baseline}
    models = {"pixelcnn": PixelCNN(hidden=32, num_layers=4, kernel_size=5), "pixelrnn": PixelRNN(hidden=64),
              "transformer": ImageTransformer(8, 8, dim=32, heads=2, num_layers=2, window=16)}
    step_time = {}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, model in models.items():
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        curve, t_total, n_steps = [], 0.0, 0
        for epoch in range(cfg.epochs):
            perm = torch.randperm(len(xtr), generator=gen)
            for i in range(0, len(xtr), cfg.batch_size):
                xb = xtr[perm[i: i + cfg.batch_size]]
                t0 = time.perf_counter()
                loss = model.nll(xb).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                t_total += time.perf_counter() - t0
                n_steps += 1
            with torch.no_grad():
                curve.append(model.nll(xte).mean().item())
            run.log(step=epoch, **{f"{name}_test_nll": curve[-1]})
        step_time[name] = t_total / n_steps
        out[f"{name}_nll"] = curve[-1]
        out[f"{name}_minus_baseline_nll"] = curve[-1] - baseline
        axes[0].plot(range(1, cfg.epochs + 1), curve, "o-", label=f"{name} ({step_time[name] * 1e3:.1f} ms/step)")
    out["pixelrnn_over_pixelcnn_step_time"] = step_time["pixelrnn"] / step_time["pixelcnn"]
    # sampling: one network evaluation per pixel
    calls = []
    hook = models["pixelcnn"].head.register_forward_hook(lambda m, i, o: calls.append(1))
    samples = models["pixelcnn"].sample(10, 8, 8, generator=gen)
    hook.remove()
    out["sampling_calls_per_pixel"] = len(calls) / 64
    axes[0].axhline(baseline, color="k", ls="--", label="independent pixels")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("test NLL (nats / image)")
    axes[0].legend(fontsize=7)
    _grid(axes[1], samples[:, 0], "PixelCNN samples")
    fig.tight_layout()
    run.save_figure(fig, "ar_digits")
    plt.close(fig)
    return out


# --------------------------------------------------------------------------------------------
@dataclass
class Diffusion2dConfig:
    steps: int = 3000
    lr: float = 2e-3
    num_steps: int = 100
    rw_sigma: float = 0.3
    n_eval: int = 1000


@experiment("diffusion-2d", chapter="generative", exp_id="exp.gen.diffusion",
            items=["generative.diffusion_forward_process", "generative.diffusion_x_prediction_loss",
                   "generative.diffusion_eps_prediction_loss", "generative.diffusion_sampling"],
            bars=[Bar("mmd_ddpm_eps", "<", 0.02, "DDPM samples match the ring (low MMD)"),
                  Bar("randomwalk_minus_ddpm_mmd", ">", 0.0, "the notes' random-walk variant is worse"),
                  Bar("eps_vs_x_measured", "==", 1.0, "003's eps >= x-prediction claim tested (MMDs reported)")],
            quick=dict(steps=20, num_steps=50, n_eval=200), budget="~1.5 min")
def diffusion_2d(cfg: Diffusion2dConfig, run: Run) -> dict:
    """Diffusion on the 8-Gaussian ring: DDPM eps- vs x_{t-1}-prediction vs 003's random walk."""
    torch.manual_seed(run.seed)
    gen = run.generator
    ring = data.load("ring8", "train", n=4096, seed=run.seed).tensors[0]
    held = data.load("ring8", "test", n=cfg.n_eval, seed=run.seed).tensors[0]
    scale = ring.std()
    x0, held_n = ring / scale, held / scale
    sched = DDPMSchedule(cfg.num_steps, 1e-4 * 1000 / cfg.num_steps, 0.02 * 1000 / cfg.num_steps)
    rw = RandomWalkProcess(cfg.num_steps, cfg.rw_sigma)
    variants = {"ddpm_eps": lambda m, xb: eps_prediction_loss(m, xb, sched, gen),
                "ddpm_x": lambda m, xb: x_prediction_loss(m, xb, sched, gen),
                "randomwalk": lambda m, xb: random_walk_eps_loss(m, xb, rw, gen)}
    out, samples = {}, {}
    for name, loss_fn in variants.items():
        torch.manual_seed(run.seed)
        model = DiffusionMLP(2, 128, 3, num_steps=cfg.num_steps)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        sch = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
        for i in range(cfg.steps):
            loss = loss_fn(model, x0[torch.randint(len(x0), (256,), generator=gen)])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sch.step()
            if i % 100 == 0 or i == cfg.steps - 1:
                run.log(step=i, **{f"{name}_loss": loss.item()})
        model.eval()
        with torch.no_grad():
            if name == "ddpm_eps":
                s = ddpm_sample(model, (cfg.n_eval, 2), sched, gen)
            elif name == "ddpm_x":
                s = _sample_x_prediction(model, (cfg.n_eval, 2), sched, gen)
            else:
                s = random_walk_sample(model, (cfg.n_eval, 2), rw, gen)
        samples[name] = s
        out[f"mmd_{name}"] = mmd_rbf(s, held_n)
    out["randomwalk_minus_ddpm_mmd"] = out["mmd_randomwalk"] - out["mmd_ddpm_eps"]
    out["x_minus_eps_mmd"] = out["mmd_ddpm_x"] - out["mmd_ddpm_eps"]
    out["eps_vs_x_measured"] = float(math.isfinite(out["x_minus_eps_mmd"]))

    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    axes[0].scatter(held_n[:, 0], held_n[:, 1], s=2)
    axes[0].set_title("data (ring of 8)")
    for ax, name in zip(axes[1:], samples):
        s = samples[name].clamp(-4, 4)
        ax.scatter(s[:, 0], s[:, 1], s=2)
        ax.set_title(f"{name}: MMD {out['mmd_' + name]:.4f}")
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
    fig.tight_layout()
    run.save_figure(fig, "diffusion_samples")
    plt.close(fig)
    return out


@torch.no_grad()
def _sample_x_prediction(model, shape, sched: DDPMSchedule, gen) -> torch.Tensor:
    """Reverse chain for an x_{t-1}-predictor: x_{t-1} = f(x_t, t) + sigma_t z, sigma_t^2 = posterior variance."""
    x = torch.randn(shape, generator=gen)
    for t in range(sched.num_steps, 0, -1):
        x = model(x, torch.full((shape[0],), t, dtype=torch.long))
        if t > 1:
            abar, abar_prev = sched.alphas_cumprod[t - 1].item(), sched.alphas_cumprod[t - 2].item()
            var = (1 - abar_prev) / (1 - abar) * sched.betas[t - 1].item()
            x = x + var ** 0.5 * torch.randn(shape, generator=gen)
    return x


# --------------------------------------------------------------------------------------------
@dataclass
class VAEFamilyConfig:
    steps: int = 3000
    lr: float = 2e-3
    latent: int = 8
    betas: tuple = (0.1, 1.0, 4.0, 16.0)
    n_grad: int = 2000
    n_grad_images: int = 32


def _digit_classifier(xtr, ytr, gen, steps=1500):
    clf = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(clf.parameters(), lr=3e-3)
    for _ in range(steps):
        i = torch.randint(len(xtr), (128,), generator=gen)
        loss = F.cross_entropy(clf(xtr[i]), ytr[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return clf.eval()


@experiment("vae-family", chapter="generative", exp_id="exp.gen.vae_family",
            items=["generative.vae", "generative.beta_vae", "generative.cvae", "generative.reparameterization",
                   "generative.elbo", "generative.gaussian_kl", "generative.aggregate_posterior",
                   "generative.decoder_likelihoods"],
            bars=[Bar("vae_confident_fraction", ">", 0.5, "VAE prior samples look like digits (p_max > 0.9)"),
                  Bar("vae_minus_ae_confident", ">", 0.0, "AE random latents decode worse than VAE prior samples"),
                  Bar("kl_monotone_in_beta", "==", 1.0, "larger beta lowers the KL"),
                  Bar("cvae_class_match", ">=", 0.8, "CVAE samples match the requested digit"),
                  Bar("score_over_reparam_grad_var", ">", 10.0, "reparameterised gradients have far lower variance")],
            quick=dict(steps=30, betas=(0.1, 16.0), n_grad=100, n_grad_images=4), budget="~2.5 min")
def vae_family(cfg: VAEFamilyConfig, run: Run) -> dict:
    """AE vs VAE latent sampling, beta sweep, CVAE per-digit generation, gradient-estimator variance.

    Gradient variance is measured where the claim is made: on the trained beta = 1 VAE's ELBO, for
    ``n_grad_images`` test digits, w.r.t. the encoder outputs (mu, logvar) over all ``latent`` dims.
    The stochastic term is E_q log p(x|z) (the Gaussian KL is closed form, so it adds the same
    deterministic gradient to both estimators and no variance). Per digit, ``n_grad`` per-sample
    pathwise and score-function (plain REINFORCE, no baseline) gradients; the bar metric pools their
    summed per-sample variances over digits. A toy 1-D E[z^2] would understate the gap: the score
    function's variance grows with the latent dimension and with |f| (a reconstruction log-likelihood
    of tens of nats). For information, the score function with a batch-mean baseline is also logged
    (``score_baseline_over_reparam_grad_var``), a much smaller ratio: the baseline removes the |f| part.
    """
    from ..generative import CVAE, VAE, aggregate_posterior_moments, pathwise_gradient, score_function_gradient
    torch.manual_seed(run.seed)
    gen = run.generator
    (xtr, ytr), (xte, yte) = _digits("train"), _digits("test")
    clf = _digit_classifier(xtr, ytr, gen, steps=max(100, cfg.steps // 2))
    out: dict[str, float] = {}

    def confident(imgs):
        with torch.no_grad():
            return (torch.softmax(clf(imgs), 1).max(1).values > 0.9).float().mean().item()

    def fit_vae(model, beta, tag, cond=False):
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        for i in range(cfg.steps):
            idx = torch.randint(len(xtr), (128,), generator=gen)
            o = model.loss(xtr[idx], ytr[idx], beta=beta, generator=gen) if cond else \
                model.loss(xtr[idx], beta=beta, generator=gen)
            opt.zero_grad()
            o["loss"].backward()
            opt.step()
            if i % 100 == 0 or i == cfg.steps - 1:
                run.log(step=i, **{f"{tag}_loss": o["loss"].item(), f"{tag}_kl": o["kl"].mean().item()})
        return model
    kls, samples, vaes = [], {}, {}
    for beta in cfg.betas:
        vae = vaes[beta] = fit_vae(VAE(64, cfg.latent, (128,), generator=gen), beta, f"beta{beta:g}")
        with torch.no_grad():
            o = vae.loss(xte, beta=beta, generator=gen)
        kls.append(o["kl"].mean().item())
        out[f"kl_beta{beta:g}"], out[f"nll_beta{beta:g}"] = kls[-1], o["nll"].mean().item()
        samples[beta] = vae.sample(20, generator=gen)
        if beta == 1.0:
            out["vae_confident_fraction"] = confident(vae.sample(500, generator=gen))
            with torch.no_grad():
                m, v = aggregate_posterior_moments(*vae.encode(xte))
            out["aggregate_mean_absmax"], out["aggregate_var_mean"] = m.abs().max().item(), v.mean().item()
    out.setdefault("vae_confident_fraction", confident(samples[cfg.betas[0]]))
    out["kl_monotone_in_beta"] = float(all(a > b for a, b in zip(kls, kls[1:])))
    ae = _train(Autoencoder(64, cfg.latent, (128,), output="sigmoid", generator=gen), xtr, cfg.steps, cfg.lr, gen=gen)
    with torch.no_grad():
        codes = ae.encode(xtr)
        ae_random = ae.decode(torch.randn(500, cfg.latent, generator=gen) * codes.std(0) + codes.mean(0))
    out["ae_confident_fraction"] = confident(ae_random)
    out["vae_minus_ae_confident"] = out["vae_confident_fraction"] - out["ae_confident_fraction"]
    cvae = fit_vae(CVAE(64, cfg.latent, 10, (128,), generator=gen), 1.0, "cvae", cond=True)
    want = torch.arange(10).repeat(50)
    with torch.no_grad():
        cs = cvae.sample(want, generator=gen)
        out["cvae_class_match"] = (clf(cs).argmax(1) == want).float().mean().item()
    pw_var, sf_var, sfb_var = _elbo_grad_variances(vaes.get(1.0, vae), xte[:cfg.n_grad_images], cfg.n_grad, gen,
                                                   pathwise_gradient, score_function_gradient)
    out["reparam_grad_var"], out["score_grad_var"] = pw_var, sf_var
    out["score_over_reparam_grad_var"] = sf_var / pw_var
    out["score_baseline_over_reparam_grad_var"] = sfb_var / pw_var

    fig, axes = plt.subplots(2, 3, figsize=(14, 6))
    _grid(axes[0, 0], ae_random[:20], f"AE random codes ({out['ae_confident_fraction']:.0%} confident)")
    _grid(axes[0, 1], samples.get(1.0, samples[cfg.betas[0]]), "VAE prior samples (beta=1)")
    _grid(axes[0, 2], cs[:20], f"CVAE, requested 0-9 ({out['cvae_class_match']:.0%} match)")
    axes[1, 0].semilogx(cfg.betas, kls, "o-")
    axes[1, 0].set_xlabel("beta")
    axes[1, 0].set_ylabel("test KL (nats)")
    _grid(axes[1, 1], samples[cfg.betas[-1]], f"beta={cfg.betas[-1]:g} samples")
    axes[1, 2].bar(["reparam", "score fn", "score fn\n+ baseline"], [pw_var, sf_var, sfb_var])
    axes[1, 2].set_yscale("log")
    axes[1, 2].set_title("ELBO grad variance wrt (mu, logvar)")
    fig.tight_layout()
    run.save_figure(fig, "vae_family")
    plt.close(fig)
    return out


def _elbo_grad_variances(vae, xs, n, gen, pathwise_gradient, score_function_gradient) -> tuple[float, float, float]:
    """Summed per-sample variances of grad_(mu, logvar) E_q log p(x|z), pooled over the digits ``xs``.

    Returns (pathwise, score function, score function with a batch-mean baseline)."""
    tot = torch.zeros(3, dtype=torch.float64)
    for x in xs:                                                             # x: (D,)
        with torch.no_grad():
            mu, logvar = vae.encode(x[None])                                 # (1, d) each
        mu, sd = mu[0], logvar[0].mul(0.5).exp()                             # (d,)
        f = lambda z: -vae.recon_nll(vae.decode(z), x.expand(len(z), -1))   # (n, d) -> (n,)
        fb = lambda z: f(z) - f(z).mean()                                    # baseline: batch mean of f
        to_logvar = torch.stack([torch.ones_like(sd), sd / 2])               # d/dlogvar = sigma/2 d/dsigma
        for k, est in enumerate([pathwise_gradient(f, mu, sd, n, gen), score_function_gradient(f, mu, sd, n, gen),
                                 score_function_gradient(fb, mu, sd, n, gen)]):  # (n, 2, d)
            tot[k] += (est.detach() * to_logvar).var(0).sum().double()
    return tot[0].item(), tot[1].item(), tot[2].item()
