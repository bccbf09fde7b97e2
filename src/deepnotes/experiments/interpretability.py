"""Interpretability experiments on a small digits CNN and scikit-image's sample photos.

``attribution-suite`` (exp.interp.attribution_suite): saliency, SmoothGrad, integrated gradients,
guided backprop, deconvnet, occlusion and LIME on a digits CNN; IG completeness; the saturating
toy f = min(x, 1) at x = 2 (saliency 0, IG 1); on a linear model each method against its known
answer (w x for IG / occlusion / LIME, |w| for saliency / SmoothGrad); how much attribution mass
falls on the strokes.
``activation-max`` (exp.interp.activation_maximization): first-layer filters, top patches with
deconvnet projections, class-logit maximisation with no prior, L2, L1 and blur+threshold+jitter
priors, and generator-constrained maximisation through a small digits VAE decoder.
``inversion-dream-style`` (exp.interp.inversion_dream_style): inversion of several layers of the
digits CNN (with a TV prior), DeepDream with jitter on a sample photo, Gram-matrix style transfer
with a random multi-scale CNN (no pretrained VGG offline) sweeping beta / alpha, and WCT.
``probing-viz`` (exp.interp.probing_visualization): linear probes on every layer of a digits CNN
trained on randomly shifted digits, for the class and for the shift (a nuisance), a random-label
probe, and 2-D PCA views of each layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.digits import load_digits
from ..interpret import (activation_maximization, collect_activations, deconvnet, deep_dream, filter_grid,
                         fit_linear_probe, generator_constrained_am, guided_backprop,
                         integrated_gradients, invert_representation, lime, max_activating_patches,
                         neural_style_transfer, occlusion, pca_project, saliency, smoothgrad, total_variation,
                         whiten_colour_transform)
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["AttributionSuiteConfig", "ActivationMaxConfig", "InversionDreamStyleConfig", "ProbingVizConfig"]

def _digits_cnn() -> nn.Sequential:
    """conv3x3(16) ReLU conv3x3(32) ReLU maxpool2 | FC(64) ReLU FC(10); ReLUs are modules (hooks)."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10))


def _shift(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Shift each image (N, 1, 8, 8) horizontally by s in {-1, 0, 1} pixels (zero fill)."""
    out = torch.zeros_like(x)
    out[s == 0] = x[s == 0]
    out[s == 1, ..., 1:] = x[s == 1, ..., :-1]
    out[s == -1, ..., :-1] = x[s == -1, ..., 1:]
    return out


def _train_cnn(epochs: int, seed: int, shift_aug: bool = False, run: Run | None = None) -> tuple[nn.Module, float]:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x, y = load_digits("train").tensors
    xt, yt = load_digits("test").tensors
    model = _digits_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        for s in range(0, len(x), 64):
            idx = perm[s:s + 64]
            xb = _shift(x[idx], torch.randint(-1, 2, (len(idx),), generator=g)) if shift_aug else x[idx]
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if run is not None:
            run.log(step=epoch, cnn_train_loss=loss.item())
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    return model, acc


def _corr(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.flatten().double(), b.flatten().double()
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


# ---------------------------------------------------------------------------------------------
@dataclass
class AttributionSuiteConfig:
    epochs: int = 15
    n_images: int = 16
    ig_steps: int = 300
    smoothgrad_samples: int = 50
    lime_samples: int = 1000


@experiment("attribution-suite", chapter="interpretability", exp_id="exp.interp.attribution_suite",
            items=["interpretability.saliency_map", "interpretability.smoothgrad", "interpretability.integrated_gradients",
                   "interpretability.guided_backprop", "interpretability.deconvnet", "interpretability.occlusion",
                   "interpretability.lime"],
            bars=[Bar("ig_completeness_max_rel_err", "<=", 0.01),
                  Bar("saturating_saliency_abs", "<=", 1e-12, "saliency of min(x, 1) at x = 2 is 0"),
                  Bar("saturating_ig_abs_err", "<=", 0.01, "IG of min(x, 1) at x = 2 is 1"),
                  Bar("linear_min_corr", ">=", 0.99, "every method recovers the linear model's pattern"),
                  Bar("stroke_mass_ratio_median", ">", 1.0, "attribution concentrates on strokes")],
            quick=dict(epochs=1, n_images=2, ig_steps=50, smoothgrad_samples=5, lime_samples=100),
            budget="~40 s on 2 CPU cores")
def attribution_suite(cfg: AttributionSuiteConfig, run: Run) -> dict:
    """Attribution methods compared on a digits CNN, with exact checks on toys."""
    plt = _plt()

    model, acc = _train_cnn(cfg.epochs, run.seed, run=run)
    xt, yt = load_digits("test").tensors
    x, y = xt[:cfg.n_images], yt[:cfg.n_images]
    gen = torch.Generator().manual_seed(run.seed)
    attrs = {
        "saliency": saliency(model, x, y),
        "smoothgrad": smoothgrad(model, x, y, n_samples=cfg.smoothgrad_samples, generator=gen),
        "integrated gradients": integrated_gradients(model, x, y, n_steps=50),
        "guided backprop": guided_backprop(model, x, y),
        "deconvnet": deconvnet(model, x, y),
        "occlusion": occlusion(model, x, y, sliding_window_shapes=(1, 2, 2)),
        "lime": torch.cat([lime(model, x[i:i + 1], int(y[i]), n_samples=cfg.lime_samples,
                                feature_mask=torch.arange(64).view(1, 8, 8) // 2 % 4 + torch.arange(64).view(1, 8, 8) // 16 * 4,
                                generator=gen) for i in range(len(x))]),
    }
    # completeness of IG on the CNN (float64 copy, trapezoid with m = ig_steps)
    m64 = _digits_cnn().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    x64 = x.double()
    _, delta = integrated_gradients(m64, x64, y, n_steps=cfg.ig_steps, method="riemann_trapezoid",
                                    return_convergence_delta=True)
    with torch.no_grad():
        gap = m64(x64).gather(1, y[:, None])[:, 0] - m64(torch.zeros_like(x64)).gather(1, y[:, None])[:, 0]
    ig_rel = float((delta.abs() / gap.abs().clamp(min=1e-12)).max())
    # saturating toy
    sat = lambda z: torch.clamp(z, max=1.0).sum(1)
    x2 = torch.tensor([[2.0]], dtype=torch.float64)
    sat_sal = float(saliency(sat, x2).abs())
    sat_ig = float(integrated_gradients(sat, x2, n_steps=cfg.ig_steps, method="riemann_trapezoid"))
    # linear model: known answers
    torch.manual_seed(run.seed)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    xl = xt[:4]
    w = lin[1].weight.detach().view(10, 1, 8, 8)[3]
    lin_checks = {
        "saliency": _corr(saliency(lin, xl, 3), w.abs().expand_as(xl)),
        "smoothgrad": _corr(smoothgrad(lin, xl, 3, n_samples=5, generator=gen), w.abs().expand_as(xl)),
        "integrated gradients": _corr(integrated_gradients(lin, xl, 3), xl * w),
        "occlusion": _corr(occlusion(lin, xl, 3), xl * w),
        "lime": min(_corr(lime(lin, xl[i:i + 1], 3, n_samples=cfg.lime_samples, kernel_width=100.0, generator=gen),
                          xl[i:i + 1] * w) for i in range(len(xl))),
    }
    # stroke concentration: share of |attribution| on stroke pixels / share of area they cover
    strokes = x > 0.25
    ratios = {}
    for name, a in attrs.items():
        mass = a.abs().flatten(1)
        on = (mass * strokes.flatten(1)).sum(1) / mass.sum(1).clamp(min=1e-12)
        area = strokes.flatten(1).float().mean(1)
        ratios[name] = float((on / area).mean())
    run.log(step=0, **{f"stroke_ratio_{k.replace(' ', '_')}": v for k, v in ratios.items()})
    # agreement between methods (Spearman-free: Pearson of |attribution|)
    names = list(attrs)
    agree = np.array([[_corr(attrs[a].abs(), attrs[b].abs()) for b in names] for a in names])
    fig, axes = plt.subplots(min(4, len(x)), len(names) + 1, figsize=(1.6 * (len(names) + 1), 1.7 * min(4, len(x))),
                             squeeze=False)
    for r in range(axes.shape[0]):
        axes[r, 0].imshow(x[r, 0], cmap="gray")
        axes[r, 0].set_title(f"label {int(y[r])}", fontsize=8)
        for c, name in enumerate(names, start=1):
            axes[r, c].imshow(attrs[name][r, 0].abs(), cmap="hot")
            if r == 0:
                axes[r, c].set_title(name, fontsize=7)
    for ax in axes.flat:
        ax.axis("off")
    run.save_figure(fig, "attributions")
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(agree, vmin=-1, vmax=1, cmap="coolwarm")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_title("agreement between methods (corr. of |attr|)")
    run.save_figure(fig, "agreement")
    out = {"cnn_test_acc": acc, "ig_completeness_max_rel_err": ig_rel, "saturating_saliency_abs": sat_sal,
           "saturating_ig_abs_err": abs(sat_ig - 1.0), "linear_min_corr": min(lin_checks.values()),
           "stroke_mass_ratio_median": float(np.median(list(ratios.values())))}
    out.update({f"linear_corr_{k.replace(' ', '_')}": v for k, v in lin_checks.items()})
    out.update({f"stroke_ratio_{k.replace(' ', '_')}": v for k, v in ratios.items()})
    return out


# ---------------------------------------------------------------------------------------------
@dataclass
class ActivationMaxConfig:
    epochs: int = 15
    vae_epochs: int = 60
    latent: int = 8
    steps: int = 300
    lr: float = 0.05


class _VAE(nn.Module):
    def __init__(self, latent: int):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, 128), nn.ReLU(), nn.Linear(128, 64), nn.Sigmoid())

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.dec(z).view(-1, 1, 8, 8)                                    # (B, 1, 8, 8)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.enc(x.flatten(1)).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        rec = F.binary_cross_entropy(self.dec(z), x.flatten(1), reduction="sum")
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum()
        return (rec + kl) / len(x)


def _train_vae(latent: int, epochs: int, seed: int) -> _VAE:
    torch.manual_seed(seed)
    x, _ = load_digits("train").tensors
    vae = _VAE(latent)
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for s in range(0, len(x), 128):
            loss = vae.loss(x[perm[s:s + 128]])
            opt.zero_grad()
            loss.backward()
            opt.step()
    for p in vae.parameters():
        p.requires_grad_(False)
    return vae.eval()


class _Unit(nn.Module):
    """One unit (channel, row, col) of a feature extractor, as a model with a scalar output."""

    def __init__(self, features: nn.Module, channel: int, i: int, j: int):
        super().__init__()
        self.features, self.at = features, (channel, i, j)

    def forward(self, x):
        c, i, j = self.at
        return self.features(x)[:, c, i, j]


def _unit_norm(x: torch.Tensor) -> torch.Tensor:
    return x / x.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1)


@experiment("activation-max", chapter="interpretability", exp_id="exp.interp.activation_maximization",
            items=["interpretability.activation_maximization", "interpretability.generator_constrained_am",
                   "interpretability.first_layer_filters", "interpretability.max_activating_patches",
                   "interpretability.deconvnet"],
            bars=[Bar("noprior_target_prob", ">=", 0.99, "unregularised maximisers score high"),
                  Bar("prior_tv_ratio", "<", 1.0, "priors are smoother (less noise-like) than no prior"),
                  Bar("generator_nn_dist_ratio", "<", 1.0, "generator-constrained results are closer to real digits"),
                  Bar("generator_score_gain", ">", 0.0, "class score rises along the latent ascent")],
            quick=dict(epochs=1, vae_epochs=2, steps=20), budget="~40 s on 2 CPU cores")
def activation_max(cfg: ActivationMaxConfig, run: Run) -> dict:
    """Filters, top patches, and class visualisation with and without priors or a generator."""
    plt = _plt()

    model, acc = _train_cnn(cfg.epochs, run.seed, run=run)
    vae = _train_vae(cfg.latent, cfg.vae_epochs, run.seed)
    xtr, _ = load_digits("train").tensors
    classes = torch.arange(10)
    logit = lambda x: model(x).gather(1, classes[:, None])[:, 0]
    gen = torch.Generator().manual_seed(run.seed)
    init = 0.1 * torch.randn(10, 1, 8, 8, generator=gen)
    variants = {
        "no prior": dict(),
        "L2": dict(l2=0.5),
        "L1": dict(l2=0.1, l1=0.5),
        "blur+threshold+jitter": dict(l2=0.05, blur_every=4, blur_sigma=0.5, small_threshold=0.05, jitter=1,
                                      clamp=(0.0, 1.0)),
    }
    images, hists = {}, {}
    for name, kw in variants.items():
        images[name], hists[name] = activation_maximization(logit, init, steps=cfg.steps, lr=cfg.lr,
                                                            generator=gen, **kw)
        run.log(step=0, **{f"score_{name.split('+')[0].replace(' ', '_')}": hists[name][-1]})
    z0 = torch.zeros(10, cfg.latent)
    z, gx, ghist = generator_constrained_am(vae.decode, logit, z0, steps=cfg.steps, lr=cfg.lr, l2=0.01)
    images["generator (VAE)"] = gx
    with torch.no_grad():
        probs = {k: F.softmax(model(v), 1)[classes, classes] for k, v in images.items()}
    real = _unit_norm(xtr).flatten(1)
    nn_dist = {k: float(torch.cdist(_unit_norm(v).flatten(1), real).min(1).values.mean()) for k, v in images.items()}
    tv = {k: float(np.mean([total_variation(im, anisotropic=True).item() for im in _unit_norm(v)]))
          for k, v in images.items()}
    # first-layer filters and top patches with deconvnet projections
    grid = filter_grid(model[0].weight)                                     # (16, 3, 3, 1)
    features = model[:4]
    top = max_activating_patches(features, xtr, channel=0, k=8, rf_size=5, rf_stride=1, rf_padding=2)
    projections = []
    for n, i, j in top.positions.tolist():
        projections.append(deconvnet(_Unit(features, 0, i, j), xtr[n:n + 1], None)[0, 0])
    fig, axes = plt.subplots(len(images), 10, figsize=(12, 1.3 * len(images)))
    for r, (name, ims) in enumerate(images.items()):
        for c in range(10):
            axes[r, c].imshow(ims[c, 0], cmap="gray")
            axes[r, c].axis("off")
        axes[r, 0].set_title(f"{name}: p={probs[name].mean():.2f}", fontsize=8, loc="left")
    run.save_figure(fig, "class_visualisation")
    fig, axes = plt.subplots(3, 16, figsize=(14, 3))
    for c in range(16):
        axes[0, c].imshow(grid[c, :, :, 0], cmap="gray", vmin=0, vmax=1)
    for c in range(8):
        axes[1, c].imshow(top.patches[c][0], cmap="gray")
        axes[2, c].imshow(projections[c], cmap="RdBu")
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].set_title("conv1 filters", fontsize=8, loc="left")
    axes[1, 0].set_title("top patches of conv2 channel 0", fontsize=8, loc="left")
    axes[2, 0].set_title("deconvnet projections", fontsize=8, loc="left")
    run.save_figure(fig, "filters_patches")
    smooth = min(tv[k] for k in ("L1", "blur+threshold+jitter"))
    return {"cnn_test_acc": acc, "noprior_target_prob": float(probs["no prior"].mean()),
            "prior_tv_ratio": smooth / tv["no prior"],
            "generator_nn_dist_ratio": nn_dist["generator (VAE)"] / nn_dist["no prior"],
            "generator_score_gain": ghist[-1] - ghist[0],
            **{f"nn_dist_{k.split(' ')[0].split('+')[0]}": v for k, v in nn_dist.items()},
            **{f"tv_{k.split(' ')[0].split('+')[0]}": v for k, v in tv.items()}}


# ---------------------------------------------------------------------------------------------
@dataclass
class InversionDreamStyleConfig:
    epochs: int = 15
    n_images: int = 8
    inversion_steps: int = 300
    dream_steps: int = 30
    style_steps: int = 150
    image_size: int = 48
    beta_over_alpha: tuple = (0.01, 1.0, 100.0)


def _photo(name: str, size: int) -> torch.Tensor:
    import skimage.data

    img = torch.tensor(getattr(skimage.data, name)(), dtype=torch.float32) / 255.0
    img = img[..., None].expand(-1, -1, 3) if img.dim() == 2 else img[..., :3]
    img = img.permute(2, 0, 1)[None]                                            # (1, 3, H, W)
    side = min(img.shape[-2:])
    img = img[..., :side, :side]
    return F.interpolate(img, size=(size, size), mode="area")


def _random_multiscale_cnn(seed: int) -> nn.ModuleList:
    torch.manual_seed(seed)
    layers = nn.ModuleList([nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1, stride=2),
                            nn.Conv2d(32, 64, 3, padding=1, stride=2)])
    for p in layers.parameters():
        p.requires_grad_(False)
    return layers


def _extract(layers: nn.ModuleList, x: torch.Tensor) -> list[torch.Tensor]:
    feats = []
    for conv in layers:
        x = torch.relu(conv(x))
        feats.append(x)
    return feats


@experiment("inversion-dream-style", chapter="interpretability", exp_id="exp.interp.inversion_dream_style",
            items=["interpretability.representation_inversion", "interpretability.natural_image_prior",
                   "interpretability.deep_dream", "interpretability.neural_style_transfer",
                   "interpretability.gram_matrix", "interpretability.style_loss", "interpretability.content_loss",
                   "interpretability.wct_style_transfer"],
            bars=[Bar("inversion_mse_deep_over_first", ">", 1.0, "inversions get fuzzier with depth"),
                  Bar("dream_activation_ratio", ">", 1.0, "layer activation norm grows under DeepDream"),
                  Bar("style_loss_ratio", "<", 1.0, "style loss falls"),
                  Bar("content_rel_err", "<", 0.5, "content preserved at beta/alpha = 1"),
                  Bar("tradeoff_monotone", ">=", 1.0, "more beta/alpha: lower style loss, higher content loss"),
                  Bar("wct_cov_err", "<=", 1e-4)],
            quick=dict(epochs=1, n_images=2, inversion_steps=20, dream_steps=3, style_steps=5, image_size=24),
            budget="~60 s on 2 CPU cores")
def inversion_dream_style(cfg: InversionDreamStyleConfig, run: Run) -> dict:
    """Representation inversion by depth, DeepDream on a photo, style transfer and WCT."""
    plt = _plt()
    from scipy.stats import spearmanr

    model, acc = _train_cnn(cfg.epochs, run.seed, run=run)
    xt, _ = load_digits("test").tensors
    x0 = xt[:cfg.n_images]
    depths = {"conv1": 1, "relu2": 4, "pool": 5, "fc1": 8, "logits": 9}
    inv, mse = {}, {}
    for name, k in depths.items():
        inv[name], _ = invert_representation(model[:k], x0, steps=cfg.inversion_steps, lr=0.05, tv_weight=1e-3,
                                             generator=torch.Generator().manual_seed(run.seed))
        mse[name] = F.mse_loss(inv[name], x0).item()
        run.log(step=k, inversion_mse=mse[name])
    # DeepDream on a photo with a random multi-scale CNN
    cnn = _random_multiscale_cnn(run.seed)
    photo = _photo("chelsea", 2 * cfg.image_size)
    layer = lambda x: _extract(cnn, x)[1]
    dream, dhist = deep_dream(layer, photo, steps=cfg.dream_steps, lr=0.02, max_jitter=4,
                              generator=torch.Generator().manual_seed(run.seed))
    # style transfer sweeping beta / alpha
    content, style = _photo("astronaut", cfg.image_size), _photo("coffee", cfg.image_size)
    extract = lambda x: _extract(cnn, x)
    results = {}
    for ratio in cfg.beta_over_alpha:
        x, hist = neural_style_transfer(extract, content, style, content_layer=2, alpha=1.0, beta=float(ratio),
                                        steps=cfg.style_steps, lr=0.02, clamp=(0.0, 1.0))
        results[ratio] = (x, hist)
        run.log(step=int(ratio * 100), style_loss=hist[-1]["style"], content_loss=hist[-1]["content"])
    # WCT on the (pre-activation, full-rank) conv1 features of content and style, in float64
    fc, fs = (cnn[0](im)[0].double() for im in (content, style))
    cs = whiten_colour_transform(fc, fs, eps=0.0)
    cov = lambda f: torch.cov(f.reshape(f.size(0), -1))
    wct_err = float((cov(cs) - cov(fs)).abs().max() / cov(fs).abs().max())
    wct_mean_err = float((cs.reshape(cs.size(0), -1).mean(1) - fs.reshape(fs.size(0), -1).mean(1)).abs().max())
    names = list(depths)
    ratios = list(cfg.beta_over_alpha)
    st = [results[r][1][-1]["style"] for r in ratios]
    ct = [results[r][1][-1]["content"] for r in ratios]
    mid = ratios[len(ratios) // 2]
    mid_hist = results[mid][1]
    with torch.no_grad():
        f_content = extract(content)[2]
        content_rel = float((extract(results[mid][0])[2] - f_content).norm() / f_content.norm())
    fig, axes = plt.subplots(min(3, len(x0)), len(names) + 1, figsize=(1.6 * (len(names) + 1), 1.7 * min(3, len(x0))),
                             squeeze=False)
    for r in range(axes.shape[0]):
        axes[r, 0].imshow(x0[r, 0], cmap="gray")
        for c, n in enumerate(names, start=1):
            axes[r, c].imshow(inv[n][r, 0], cmap="gray")
            if r == 0:
                axes[r, c].set_title(f"{n}\nMSE {mse[n]:.3f}", fontsize=7)
    for ax in axes.flat:
        ax.axis("off")
    run.save_figure(fig, "inversions")
    fig, axes = plt.subplots(1, 3 + len(ratios), figsize=(2.6 * (3 + len(ratios)), 2.8))
    show = lambda ax, im, t: (ax.imshow(im[0].permute(1, 2, 0).clamp(0, 1).numpy()), ax.set_title(t, fontsize=8),
                              ax.axis("off"))
    show(axes[0], dream, f"DeepDream (x{dhist[-1] / dhist[0]:.1f} activation)")
    show(axes[1], content, "content")
    show(axes[2], style, "style")
    for ax, r in zip(axes[3:], ratios):
        show(ax, results[r][0], f"beta/alpha = {r:g}")
    run.save_figure(fig, "dream_style")
    return {"cnn_test_acc": acc, **{f"inversion_mse_{n}": v for n, v in mse.items()},
            "inversion_mse_deep_over_first": mse["logits"] / mse["conv1"],
            "inversion_depth_spearman": float(spearmanr(range(len(names)), [mse[n] for n in names])[0]),
            "dream_activation_ratio": dhist[-1] / dhist[0],
            "style_loss_ratio": mid_hist[-1]["style"] / mid_hist[0]["style"], "content_rel_err": content_rel,
            "tradeoff_monotone": float(all(a >= b for a, b in zip(st, st[1:])) and all(a <= b for a, b in zip(ct, ct[1:]))),
            "wct_cov_err": wct_err, "wct_mean_err": wct_mean_err}


# ---------------------------------------------------------------------------------------------
@dataclass
class ProbingVizConfig:
    epochs: int = 20
    probe_iters: int = 100
    C: float = 0.1


@experiment("probing-viz", chapter="interpretability", exp_id="exp.interp.probing_visualization",
            items=["interpretability.linear_probe", "interpretability.hidden_representation_viz"],
            bars=[Bar("class_acc_gain", ">", 0.0, "class decodability rises with depth (last vs input)"),
                  Bar("shift_acc_drop", ">", 0.0, "nuisance (shift) decodability falls in later layers"),
                  Bar("random_label_test_acc", "<=", 0.2, "random-label probe stays at chance (0.1)")],
            quick=dict(epochs=1, probe_iters=5), budget="~60 s on 2 CPU cores")
def probing_viz(cfg: ProbingVizConfig, run: Run) -> dict:
    """Linear probes for class and shift on every layer of a digits CNN, and PCA views."""
    plt = _plt()

    model, acc = _train_cnn(cfg.epochs, run.seed, shift_aug=True, run=run)
    g = torch.Generator().manual_seed(run.seed)
    (x, y), (xt, yt) = load_digits("train").tensors, load_digits("test").tensors
    s, st = torch.randint(-1, 2, (len(x),), generator=g), torch.randint(-1, 2, (len(xt),), generator=g)
    x, xt = _shift(x, s), _shift(xt, st)
    layers = {"input": None, "relu1": "1", "relu2": "3", "pool": "4", "fc1": "7", "logits": "8"}
    names = [k for k, v in layers.items() if v is not None]
    feats = collect_activations(model, x, [layers[n] for n in names])
    feats_t = collect_activations(model, xt, [layers[n] for n in names])
    F_tr = {"input": x.flatten(1), **{n: feats[layers[n]] for n in names}}
    F_te = {"input": xt.flatten(1), **{n: feats_t[layers[n]] for n in names}}
    class_acc, shift_acc = {}, {}
    for i, n in enumerate(F_tr):
        ident = lambda f: f
        class_acc[n] = fit_linear_probe(ident, F_tr[n], y, F_te[n], yt, C=cfg.C, max_iter=cfg.probe_iters).test_acc
        shift_acc[n] = fit_linear_probe(ident, F_tr[n], s + 1, F_te[n], st + 1, C=cfg.C,
                                        max_iter=cfg.probe_iters).test_acc
        run.log(step=i, class_probe_acc=class_acc[n], shift_probe_acc=shift_acc[n])
    shuffled = y[torch.randperm(len(y), generator=g)]
    rnd = fit_linear_probe(lambda f: f, F_tr["fc1"], shuffled, F_te["fc1"], yt, C=cfg.C, max_iter=cfg.probe_iters)
    proj = {n: pca_project(F_te[n], 2)[0] for n in F_te}
    order = list(F_tr)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(order, [class_acc[n] for n in order], "o-", label="class probe")
    ax.plot(order, [shift_acc[n] for n in order], "s-", label="shift probe (nuisance)")
    ax.axhline(0.1, color="gray", ls=":", label="chance (class)")
    ax.axhline(1 / 3, color="gray", ls="--", label="chance (shift)")
    ax.plot(["fc1"], [rnd.test_acc], "kx", ms=10, label="random-label probe")
    ax.set(ylabel="test accuracy", ylim=(0, 1.02), title="linear probes by layer")
    ax.legend(fontsize=8)
    run.save_figure(fig, "probes")
    fig, axes = plt.subplots(1, len(order), figsize=(3 * len(order), 3))
    for ax, n in zip(axes, order):
        p = proj[n]
        ax.scatter(p[:, 0], p[:, 1], c=yt, cmap="tab10", s=5)
        ax.set_title(f"{n} (PCA)", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    run.save_figure(fig, "pca_layers")
    early = max(shift_acc[n] for n in ("relu1", "relu2"))
    return {"cnn_test_acc": acc, **{f"class_acc_{n}": v for n, v in class_acc.items()},
            **{f"shift_acc_{n}": v for n, v in shift_acc.items()},
            "class_acc_gain": class_acc["fc1"] - class_acc["input"], "shift_acc_drop": early - shift_acc["logits"],
            "random_label_test_acc": rnd.test_acc, "random_label_train_acc": rnd.train_acc}
