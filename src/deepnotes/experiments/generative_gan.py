"""GAN experiments of the generative chapter (1-D theory and multimodal regression).

``gan-theory`` (exp.gen.gan_theory): a 1-D GAN learns N(4, 1.25^2); a discriminator trained against
a fixed affine generator is compared with D*(x) = p_d/(p_d + p_G) (both densities are Gaussian and
known); JS and W1 between point masses at growing separation (JS stays ln 2, W1 grows linearly); a
discriminator on disjoint data reaches 100% and the two generator losses' gradients are measured
at its fake samples (saturating ~ sigma(l) -> 0, non-saturating ~ 1).
``mode-averaging`` (exp.gen.mode_averaging): y = +-1 independent of x; an MSE regressor predicts the
mean 0, a 2-component mixture-density head and a conditional GAN G(z, x) reproduce both modes.
``gan-evaluation`` (exp.gen.gan_evaluation): IS and FID with a digits MLP classifier as the feature
network (its 64-unit hidden layer, softmax for IS) for real test digits, a trained MLP GAN, a
mode-collapsed generator (one image plus small noise) and a 'memory GAN' that returns training images
(flipped for the nearest-neighbour check, found again by a flip-augmented search).
``gan-stability`` (exp.gen.gan_stability): the same MLP GAN on the 8-Gaussian ring trained as vanilla
minimax, non-saturating, WGAN (clipping, RMSProp), WGAN-GP, spectral-norm D, LSGAN, instance noise
and minibatch-stddev D; modes covered / high-quality fraction per variant, and the WGAN-GP critic
estimate against sample quality over training (Spearman correlation).
``gan-extras`` (exp.gen.gan_extras): truncation sweep on a digits MLP GAN (classifier confidence vs
sample diversity), slerp interpolation smoothness, progressive fade-in at alpha = 0, GLO codes on 100
digits, and a REINFORCE-trained token generator rewarded by a discriminator.
``conditional-gans`` (exp.gen.conditional_gans): label-conditioned MLP GANs on digits with concat and
FiLM conditioning (mismatched-pair negatives), the same without noise, AC-GAN and InfoGAN; class
agreement by a digits classifier, per-class spread across z, and InfoGAN's code-to-digit accuracy\nunder the best one-to-one matching (Hungarian).
The small full-batch loops run on one thread (faster than two on the shared CPU).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from .. import data as datasets
from ..data.toy2d import ring8
from ..generative import (AuxClassifierDiscriminator, ConditionalDiscriminator, ConditionalGenerator,
                          acgan_aux_loss, cgan_discriminator_loss, infogan_q_loss, infogan_sample_codes,
                          mismatched_labels, GLO, ProgressiveGenerator, SequenceGenerator, reinforce_loss, slerp, truncated_normal,
                          InstanceNoise, MinibatchStdDev, mode_coverage, spectral_norm, class_entropy, fid_from_features, inception_score, nearest_neighbor_distance,
                          GANDiscriminator, GANGenerator, bimodal_regression_data, fit_mse_regressor,
                          gan_discriminator_loss, gan_generator_loss, gan_generator_saturating_loss,
                          gan_train_step, js_divergence, optimal_discriminator, wasserstein_1d)
from .registry import Bar, experiment
from .runner import Run

__all__ = ["GANTheoryConfig", "ModeAveragingConfig", "GANEvaluationConfig", "GANStabilityConfig", "GANExtrasConfig", "ConditionalGANsConfig"]


def _normal_pdf(x: torch.Tensor, mu: float, sd: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


@dataclass
class GANTheoryConfig:
    gan_steps: int = 1500
    d_steps: int = 800
    batch_size: int = 256
    lr: float = 2e-3
    eval_samples: int = 20000


@experiment("gan-theory", chapter="generative", exp_id="exp.gen.gan_theory",
            items=["generative.gan", "generative.gan_minimax_loss", "generative.gan_training",
                   "generative.non_saturating_gan_loss", "generative.optimal_discriminator",
                   "generative.js_divergence", "generative.wasserstein_distance"],
            bars=[Bar("d_star_max_err", "<=", 0.05, "trained D ~ p/(p+q)"),
                  Bar("gen_mean_err", "<=", 0.1), Bar("gen_std_err", "<=", 0.15),
                  Bar("js_minus_ln2_max", "<=", 1e-9, "JS = ln 2 for every separation"),
                  Bar("w1_linear_max_err", "<=", 1e-9, "W1 = separation"),
                  Bar("disjoint_d_acc", ">=", 0.999, "D reaches 100% on disjoint supports"),
                  Bar("grad_ratio_nonsat_over_sat", ">=", 10.0, "non-saturating keeps a large gradient")],
            quick=dict(gan_steps=15, d_steps=20, batch_size=32, eval_samples=500), budget="~1 min")
def gan_theory(cfg: GANTheoryConfig, run: Run) -> dict:
    """1-D GAN, optimal discriminator, JS saturation vs W1, saturating vs non-saturating gradients."""
    g = run.generator
    torch.manual_seed(run.seed)
    # 1) GAN on N(4, 1.25^2) with alternating updates (Adam, beta1 = 0.5); 4-D noise (a 1-D z
    #    collapsed to a narrow spike in our runs)
    G, D = GANGenerator(4, 1, (16,)), GANDiscriminator(1, (32,))
    opt_g = torch.optim.Adam(G.parameters(), cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), cfg.lr, betas=(0.5, 0.999))
    real = lambda n: 4 + 1.25 * torch.randn(n, 1, generator=g)
    for t in run.progress(range(cfg.gan_steps)):
        r = gan_train_step(G, D, opt_g, opt_d, real, 4, cfg.batch_size, generator=g)
        if t % 50 == 0:
            with torch.no_grad():
                x = G.sample(1000, generator=g)
            run.log(step=t, d_loss=r.d_loss, g_loss=r.g_loss, gen_mean=x.mean().item(), gen_std=x.std().item())
    with torch.no_grad():
        xg = G.sample(cfg.eval_samples, generator=g)
    gen_mean_err, gen_std_err = abs(xg.mean().item() - 4), abs(xg.std().item() - 1.25)

    # 2) D trained against a fixed affine generator N(2.5, 0.8^2): compare with D*
    D2 = GANDiscriminator(1, (32, 32))
    opt = torch.optim.Adam(D2.parameters(), 3e-3)
    for _ in range(cfg.d_steps):
        loss = gan_discriminator_loss(D2(real(512)), D2(2.5 + 0.8 * torch.randn(512, 1, generator=g)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    grid = torch.linspace(-1, 8, 181)[:, None]
    pd, pg = _normal_pdf(grid, 4, 1.25), _normal_pdf(grid, 2.5, 0.8)
    d_star = optimal_discriminator(pd, pg)
    with torch.no_grad():
        d_hat = D2.prob(grid)
    mass = (pd + pg) > 0.05                                  # where the data actually lie
    d_star_err = (d_hat - d_star)[mass].abs().max().item()

    # 3) disjoint supports: JS stays ln 2, W1 grows linearly; D separates them perfectly
    seps = torch.arange(1, 11, dtype=torch.float64)
    js, w1 = [], []
    for s in seps:
        p, q = torch.zeros(32, dtype=torch.float64), torch.zeros(32, dtype=torch.float64)
        p[0], q[int(s)] = 1, 1                                # point masses at 0 and s
        js.append(js_divergence(p, q).item())
        w1.append(wasserstein_1d(torch.zeros(1, dtype=torch.float64), s.view(1)).item())
    D3 = GANDiscriminator(1, (16,))
    opt = torch.optim.Adam(D3.parameters(), 1e-2)
    for _ in range(max(cfg.d_steps // 4, 20)):
        xr, xf = torch.rand(256, 1, generator=g), 3 + torch.rand(256, 1, generator=g)
        loss = gan_discriminator_loss(D3(xr), D3(xf))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    xr, xf = torch.rand(2000, 1, generator=g), 3 + torch.rand(2000, 1, generator=g)
    with torch.no_grad():
        acc = 0.5 * ((D3(xr) > 0).float().mean() + (D3(xf) < 0).float().mean()).item()
        fake_logits = D3(xf)
    l = fake_logits.clone().requires_grad_(True)
    (g_sat,) = torch.autograd.grad(gan_generator_saturating_loss(l) * len(l), l)
    (g_ns,) = torch.autograd.grad(gan_generator_loss(l) * len(l), l)
    sat, ns = g_sat.abs().mean().item(), g_ns.abs().mean().item()

    fig = Figure(figsize=(15, 3.6))
    ax = fig.subplots(1, 4)
    xs = torch.linspace(-1, 8, 200)
    ax[0].hist(xg.squeeze().numpy(), bins=80, density=True, alpha=0.5, label="G samples")
    ax[0].plot(xs, _normal_pdf(xs, 4, 1.25), label="N(4, 1.25²)")
    ax[0].set_title("1-D GAN"); ax[0].legend()
    ax[1].plot(grid, d_star, label="D* = p/(p+q)"); ax[1].plot(grid, d_hat, "--", label="trained D")
    ax[1].plot(grid, pd / pd.max(), ":", label="p_data (scaled)"); ax[1].plot(grid, pg / pg.max(), ":", label="p_G (scaled)")
    ax[1].set_title("optimal discriminator"); ax[1].legend(fontsize=7)
    ax[2].plot(seps, js, "o-", label="JS (nats)"); ax[2].plot(seps, w1, "s-", label="W1")
    ax[2].axhline(math.log(2), color="gray", lw=0.5); ax[2].set_xlabel("separation"); ax[2].legend()
    ax[2].set_title("disjoint point masses")
    ll = torch.linspace(-10, 5, 200)
    ax[3].semilogy(torch.sigmoid(ll), torch.sigmoid(ll), label="|d log(1-D)/dl| = D")
    ax[3].semilogy(torch.sigmoid(ll), 1 - torch.sigmoid(ll), label="|d -log D/dl| = 1-D")
    ax[3].set_xlabel("D(G(z))"); ax[3].set_title("generator gradients"); ax[3].legend(fontsize=7)
    fig.tight_layout()
    run.save_figure(fig, "gan_theory")
    return {"d_star_max_err": d_star_err, "gen_mean_err": gen_mean_err, "gen_std_err": gen_std_err,
            "js_minus_ln2_max": max(abs(v - math.log(2)) for v in js),
            "w1_linear_max_err": max(abs(w - s.item()) for w, s in zip(w1, seps)),
            "disjoint_d_acc": acc, "sat_grad": sat, "nonsat_grad": ns,
            "grad_ratio_nonsat_over_sat": ns / max(sat, 1e-30)}


@dataclass
class ModeAveragingConfig:
    n: int = 2000
    mse_steps: int = 500
    mog_steps: int = 800
    gan_steps: int = 2000
    batch_size: int = 256
    eval_samples: int = 4000


class _MoGHead(nn.Module):
    def __init__(self, k: int = 2, hidden: int = 32):
        super().__init__()
        self.k = k
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 3 * k))

    def forward(self, x):
        logit, mu, log_sd = self.net(x).chunk(3, -1)                       # (B, K) each
        return logit, mu, log_sd.clamp(-5, 2)

    def nll(self, x, y):
        logit, mu, log_sd = self(x)
        comp = -0.5 * ((y - mu) / log_sd.exp()) ** 2 - log_sd - 0.5 * math.log(2 * math.pi)
        return -(torch.logsumexp(F.log_softmax(logit, -1) + comp, -1)).mean()

    @torch.no_grad()
    def sample(self, x, generator):
        logit, mu, log_sd = self(x)
        k = torch.multinomial(F.softmax(logit, -1), 1, generator=generator)  # (B, 1)
        return mu.gather(1, k) + log_sd.exp().gather(1, k) * torch.randn(k.shape, generator=generator)


def _mode_stats(y: torch.Tensor) -> tuple[float, float]:
    """(fraction within 0.3 of +-1, the smaller of the two modes' shares)."""
    near_pos, near_neg = ((y - 1).abs() < 0.3).float().mean().item(), ((y + 1).abs() < 0.3).float().mean().item()
    return near_pos + near_neg, min(near_pos, near_neg)


@experiment("mode-averaging", chapter="generative", exp_id="exp.gen.mode_averaging",
            items=["generative.mse_mode_averaging", "rl.mixture_policy", "generative.conditional_gan"],
            bars=[Bar("mse_abs_pred", "<=", 0.05, "MSE predicts ~0, the mean"),
                  Bar("mog_near_modes", ">=", 0.8), Bar("mog_min_mode_share", ">=", 0.3),
                  Bar("cgan_near_modes", ">=", 0.7), Bar("cgan_min_mode_share", ">=", 0.25)],
            quick=dict(n=200, mse_steps=10, mog_steps=10, gan_steps=10, batch_size=64, eval_samples=200), budget="~1 min")
def mode_averaging(cfg: ModeAveragingConfig, run: Run) -> dict:
    """y = +-1 given x: MSE regression vs mixture-density head vs conditional GAN."""
    g = run.generator
    torch.manual_seed(run.seed)
    x, y = bimodal_regression_data(cfg.n, generator=g)
    mse = fit_mse_regressor(x, y, steps=cfg.mse_steps)
    xe = torch.rand(cfg.eval_samples, 1, generator=g) * 2 - 1
    with torch.no_grad():
        mse_pred = mse(xe)
    mog = _MoGHead()
    opt = torch.optim.Adam(mog.parameters(), 1e-2)
    for t in range(cfg.mog_steps):
        loss = mog.nll(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if t % 50 == 0:
            run.log(step=t, mog_nll=loss.item())
    y_mog = mog.sample(xe, g)
    # conditional GAN: G(z, x) -> y, D(y, x); x is the condition, concatenated to the inputs
    G, D = GANGenerator(2, 1, (32, 32)), GANDiscriminator(2, (32, 32))
    opt_g = torch.optim.Adam(G.parameters(), 2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-3, betas=(0.5, 0.999))
    for t in run.progress(range(cfg.gan_steps)):
        idx = torch.randint(cfg.n, (cfg.batch_size,), generator=g)
        xb, yb = x[idx], y[idx]
        z = torch.randn(cfg.batch_size, 1, generator=g)
        fake = G(torch.cat([z, xb], 1))
        d_loss = gan_discriminator_loss(D(torch.cat([yb, xb], 1)), D(torch.cat([fake.detach(), xb], 1)))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_loss = gan_generator_loss(D(torch.cat([fake, xb], 1)))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        if t % 50 == 0:
            run.log(step=t, d_loss=d_loss.item(), g_loss=g_loss.item())
    with torch.no_grad():
        y_gan = G(torch.cat([torch.randn(cfg.eval_samples, 1, generator=g), xe], 1))
    mog_near, mog_min = _mode_stats(y_mog)
    gan_near, gan_min = _mode_stats(y_gan)
    fig = Figure(figsize=(12, 3.6))
    ax = fig.subplots(1, 3)
    for a, yy, title in ((ax[0], mse_pred, "MSE regression"), (ax[1], y_mog, "mixture density"),
                         (ax[2], y_gan, "conditional GAN")):
        a.scatter(x[:500, 0], y[:500, 0], s=3, alpha=0.3, label="data")
        a.scatter(xe[:500, 0], yy[:500, 0], s=3, label="model")
        a.set_title(title); a.set_xlabel("x"); a.set_ylim(-1.6, 1.6)
    ax[0].legend()
    fig.tight_layout()
    run.save_figure(fig, "mode_averaging")
    return {"mse_abs_pred": mse_pred.abs().mean().item(), "mog_near_modes": mog_near, "mog_min_mode_share": mog_min,
            "cgan_near_modes": gan_near, "cgan_min_mode_share": gan_min}


@dataclass
class GANEvaluationConfig:
    clf_steps: int = 300
    gan_steps: int = 3000
    batch_size: int = 128
    latent_dim: int = 16
    samples: int = 1000


@experiment("gan-evaluation", chapter="generative", exp_id="exp.gen.gan_evaluation",
            items=["generative.inception_score", "generative.fid", "generative.memorization_check",
                   "generative.mode_collapse_metrics"],
            bars=[Bar("fid_real_real", "<=", 1e-6), Bar("memory_fid_over_gan_fid", "<=", 0.2, "memory GAN: very low FID"),
                  Bar("memory_nn_dist", "<=", 1e-6, "... but zero nearest-neighbour distance"),
                  Bar("collapsed_is", "<=", 1.5, "collapsed: low IS"),
                  Bar("collapsed_fid_over_gan_fid", ">=", 2.0, "collapsed: high FID")],
            quick=dict(clf_steps=10, gan_steps=10, samples=200), budget="~1.5 min")
def gan_evaluation(cfg: GANEvaluationConfig, run: Run) -> dict:
    """IS / FID / nearest-neighbour distances for real, GAN, collapsed and memorising generators."""
    g = run.generator
    torch.manual_seed(run.seed)
    xtr, ytr = datasets.load("digits", "train", flatten=True).tensors
    xte = datasets.load("digits", "test", flatten=True).tensors[0]
    body = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
    clf = nn.Sequential(body, nn.Linear(64, 10))
    opt = torch.optim.Adam(clf.parameters(), 1e-2)
    for t in range(cfg.clf_steps):
        loss = F.cross_entropy(clf(xtr), ytr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    G, D = GANGenerator(cfg.latent_dim, 64, (128, 128), output="sigmoid"), GANDiscriminator(64, (128, 64))
    opt_g = torch.optim.Adam(G.parameters(), 2e-4 * 5, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4 * 5, betas=(0.5, 0.999))
    real = lambda n: xtr[torch.randint(len(xtr), (n,), generator=g)]
    for t in run.progress(range(cfg.gan_steps)):
        r = gan_train_step(G, D, opt_g, opt_d, real, cfg.latent_dim, cfg.batch_size, generator=g)
        if t % 100 == 0:
            run.log(step=t, d_loss=r.d_loss, g_loss=r.g_loss)
    with torch.no_grad():
        n = min(cfg.samples, len(xte))
        sets = {"real": xte[:n], "gan": G.sample(n, generator=g),
                "collapsed": (xtr[:1] + 0.02 * torch.randn(n, 64, generator=g)).clamp(0, 1),
                "memory": xtr[torch.randint(len(xtr), (n,), generator=g)]}
        feats = {k: body(v) for k, v in sets.items()}
        probs = {k: F.softmax(clf(v), -1) for k, v in sets.items()}
        ref = body(xtr)
    out = {f"{k}_fid": fid_from_features(ref, feats[k]).item() for k in sets}
    out.update({f"{k}_is": inception_score(probs[k]).item() for k in sets})
    out.update({f"{k}_class_entropy": class_entropy(probs[k]).item() for k in sets})
    out["fid_real_real"] = abs(fid_from_features(feats["real"], feats["real"]).item())
    flipped = sets["memory"].view(-1, 8, 8).flip(-1).reshape(-1, 64)
    out["memory_nn_dist"] = nearest_neighbor_distance(flipped, xtr, flip_shape=(8, 8)).max().item()
    out["memory_nn_dist_no_flip_search"] = nearest_neighbor_distance(flipped, xtr).median().item()
    out["gan_nn_dist"] = nearest_neighbor_distance(sets["gan"], xtr).median().item()
    out["real_nn_dist"] = nearest_neighbor_distance(sets["real"], xtr).median().item()
    out["memory_fid_over_gan_fid"] = out["memory_fid"] / max(out["gan_fid"], 1e-12)
    out["collapsed_fid_over_gan_fid"] = out["collapsed_fid"] / max(out["gan_fid"], 1e-12)
    fig = Figure(figsize=(13, 4))
    ax = fig.subplots(1, 3)
    names = list(sets)
    ax[0].bar(names, [out[f"{k}_fid"] for k in names]); ax[0].set_yscale("log"); ax[0].set_title("FID vs train features")
    ax[1].bar(names, [out[f"{k}_is"] for k in names]); ax[1].set_title("Inception score (digits classifier)")
    grid = torch.cat([sets[k][:8].view(8, 8, 8) for k in names], 1)            # (8, 32, 8)
    ax[2].imshow(grid.permute(1, 0, 2).reshape(32, 64).numpy(), cmap="gray_r")
    ax[2].set_yticks([4, 12, 20, 28], names); ax[2].set_xticks([]); ax[2].set_title("samples")
    fig.tight_layout()
    run.save_figure(fig, "gan_evaluation")
    return out


@dataclass
class GANStabilityConfig:
    steps: int = 1200
    batch_size: int = 256
    lr: float = 1e-3
    eval_every: int = 100
    samples: int = 2000


def _spearman(a: list[float], b: list[float]) -> float:
    ra = torch.tensor(a).argsort().argsort().double()
    rb = torch.tensor(b).argsort().argsort().double()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()).clamp_min(1e-12))


@experiment("gan-stability", chapter="generative", exp_id="exp.gen.gan_stability",
            items=["generative.wgan", "generative.weight_clipping", "generative.gradient_penalty",
                   "generative.spectral_norm", "generative.lsgan", "generative.instance_noise",
                   "generative.mode_collapse_metrics", "generative.mode_collapse_mitigation",
                   "generative.toy_distributions"],
            bars=[Bar("gp_minus_vanilla_modes", ">=", 1, "WGAN-GP covers more modes than vanilla"),
                  Bar("sn_minus_vanilla_modes", ">=", 1, "spectral norm covers more modes than vanilla"),
                  Bar("critic_quality_spearman", "<=", -0.5, "WGAN critic value tracks sample quality"),
                  Bar("instance_noise_minus_vanilla_modes", ">=", 0, "instance noise helps (no fewer modes)")],
            quick=dict(steps=4, batch_size=32, eval_every=2, samples=200), budget="~3 min")
def gan_stability(cfg: GANStabilityConfig, run: Run) -> dict:
    """Eight GAN variants on the ring of 8 Gaussians: modes covered and quality."""
    g = run.generator
    mix = ring8()
    real = lambda n: mix.sample(n, g)[0]
    variants = {"vanilla": dict(loss="minimax"), "nonsat": dict(loss="nonsat"),
                "wgan_clip": dict(loss="wgan", d_steps=5, clip=0.01), "wgan_gp": dict(loss="wgan-gp", d_steps=5),
                "spectral_norm": dict(loss="nonsat"), "lsgan": dict(loss="lsgan"),
                "instance_noise": dict(loss="minimax"), "minibatch_std": dict(loss="minimax")}
    out, samples, critic_track = {}, {}, ([], [])
    for name, kw in variants.items():
        torch.manual_seed(run.seed)
        G = GANGenerator(2, 2, (64, 64))
        if name == "minibatch_std":
            D = nn.Sequential(MinibatchStdDev(), GANDiscriminator(3, (64, 64)))
        else:
            D = GANDiscriminator(2, (64, 64))
        if name == "spectral_norm":
            for m in D.modules():
                if isinstance(m, nn.Linear):
                    spectral_norm(m)
        if name == "wgan_clip":
            opt_g, opt_d = torch.optim.RMSprop(G.parameters(), 5e-4), torch.optim.RMSprop(D.parameters(), 5e-4)
        else:
            betas = (0.0, 0.9) if name == "wgan_gp" else (0.5, 0.999)
            opt_g = torch.optim.Adam(G.parameters(), cfg.lr, betas=betas)
            opt_d = torch.optim.Adam(D.parameters(), cfg.lr, betas=betas)
        noise = InstanceNoise(0.5, max(cfg.steps // 2, 1)) if name == "instance_noise" else None
        for t in range(cfg.steps):
            r = gan_train_step(G, D, opt_g, opt_d, real, 2, cfg.batch_size, instance_noise=noise, step=t,
                               generator=g, **kw)
            if (t + 1) % cfg.eval_every == 0:
                with torch.no_grad():
                    cov = mode_coverage(G.sample(cfg.samples, generator=g), mix.means, mix.std)
                run.log(step=t, **{f"{name}_modes": cov["modes_covered"], f"{name}_hq": cov["high_quality"],
                                   f"{name}_critic": r.critic_value})
                if name == "wgan_gp":
                    critic_track[0].append(r.critic_value)
                    with torch.no_grad():
                        xs = G.sample(cfg.samples, generator=g).double()
                    critic_track[1].append(-torch.cdist(xs, mix.means).min(1).values.mean().item())
        with torch.no_grad():
            x = G.sample(cfg.samples, generator=g)
        cov = mode_coverage(x, mix.means, mix.std)
        samples[name] = x
        out[f"{name}_modes"] = float(cov["modes_covered"])
        out[f"{name}_high_quality"] = cov["high_quality"]
    out["gp_minus_vanilla_modes"] = out["wgan_gp_modes"] - out["vanilla_modes"]
    out["sn_minus_vanilla_modes"] = out["spectral_norm_modes"] - out["vanilla_modes"]
    out["instance_noise_minus_vanilla_modes"] = out["instance_noise_modes"] - out["vanilla_modes"]
    out["critic_quality_spearman"] = _spearman(*critic_track) if len(critic_track[0]) > 1 else 0.0
    fig = Figure(figsize=(16, 4.5))
    ax = fig.subplots(2, 4).ravel()
    data = real(cfg.samples)
    for a, (name, x) in zip(ax, samples.items()):
        a.scatter(data[:, 0], data[:, 1], s=2, c="lightgray")
        a.scatter(x[:, 0], x[:, 1], s=2)
        a.set_title(f"{name}: {int(out[name + '_modes'])}/8 modes", fontsize=9)
        a.set_xlim(-3, 3); a.set_ylim(-3, 3); a.set_xticks([]); a.set_yticks([])
    fig.tight_layout()
    run.save_figure(fig, "ring_samples")
    return out


@dataclass
class GANExtrasConfig:
    clf_steps: int = 300
    gan_steps: int = 2500
    glo_steps: int = 300
    seq_steps: int = 300
    batch_size: int = 128
    latent_dim: int = 16
    samples: int = 1000


@experiment("gan-extras", chapter="generative", exp_id="exp.gen.gan_extras",
            items=["generative.progressive_gan", "generative.truncation_trick", "generative.latent_interpolation",
                   "generative.latent_optimization", "generative.sequence_gan", "generative.biggan"],
            bars=[Bar("truncation_confidence_gain", ">", 0.0, "smaller truncation raises classifier confidence"),
                  Bar("truncation_diversity_drop", ">", 0.0, "... and lowers diversity"),
                  Bar("interp_max_over_mean_step", "<=", 3.0, "interpolations change smoothly"),
                  Bar("seq_reward_gain", ">", 0.0, "the sequence generator's reward increases"),
                  Bar("fade_in_alpha0_err", "<=", 1e-6)],
            quick=dict(clf_steps=5, gan_steps=5, glo_steps=5, seq_steps=5, samples=100), budget="~2 min")
def gan_extras(cfg: GANExtrasConfig, run: Run) -> dict:
    """Truncation, interpolation, progressive fade-in, GLO and a REINFORCE sequence GAN."""
    g = run.generator
    torch.manual_seed(run.seed)
    xtr, ytr = datasets.load("digits", "train", flatten=True).tensors
    out: dict = {}
    clf = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(clf.parameters(), 1e-2)
    for _ in range(cfg.clf_steps):
        loss = F.cross_entropy(clf(xtr), ytr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    G, D = GANGenerator(cfg.latent_dim, 64, (128, 128), output="sigmoid"), GANDiscriminator(64, (128, 64))
    opt_g = torch.optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.999))
    real = lambda n: xtr[torch.randint(len(xtr), (n,), generator=g)]
    for t in run.progress(range(cfg.gan_steps)):
        r = gan_train_step(G, D, opt_g, opt_d, real, cfg.latent_dim, cfg.batch_size, generator=g)
        if t % 100 == 0:
            run.log(step=t, d_loss=r.d_loss, g_loss=r.g_loss)
    thresholds = [0.25, 0.5, 1.0, 2.0, float("inf")]
    conf, div = [], []
    with torch.no_grad():
        for th in thresholds:
            z = (torch.randn(cfg.samples, cfg.latent_dim, generator=g) if math.isinf(th)
                 else truncated_normal((cfg.samples, cfg.latent_dim), th, g))
            x = G(z)
            conf.append(F.softmax(clf(x), -1).max(1).values.mean().item())
            div.append(torch.pdist(x[:300]).mean().item())
        z0, z1 = torch.randn(cfg.latent_dim, generator=g), torch.randn(cfg.latent_dim, generator=g)
        path = G(slerp(z0, z1, torch.linspace(0, 1, 16)))                  # (16, 64)
        steps = (path[1:] - path[:-1]).norm(dim=1)
    out["truncation_confidence_gain"] = conf[1] - conf[-1]
    out["truncation_diversity_drop"] = div[-1] - div[1]
    out["interp_max_over_mean_step"] = (steps.max() / steps.mean().clamp_min(1e-12)).item()
    # progressive fade-in: alpha = 0 reproduces the upsampled previous stage
    P = ProgressiveGenerator(8, 16, max_stage=1)
    zp = torch.randn(4, 8, generator=g)
    with torch.no_grad():
        up = F.interpolate(P(zp, 0), scale_factor=2, mode="nearest")
        out["fade_in_alpha0_err"] = (P(zp, 1, 0.0) - up).abs().max().item()
    # GLO on 100 digits
    glo = GLO(100, 8, 64, (128,))
    opt = torch.optim.Adam(glo.parameters(), 1e-2)
    idx = torch.arange(100)
    for t in range(cfg.glo_steps):
        loss = glo.loss(idx, xtr[:100])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if t % 20 == 0:
            run.log(step=t, glo_mse=loss.item())
    out["glo_mse"] = loss.item()
    # sequence GAN: real sequences count up by one (mod V); D on one-hot tokens; G by REINFORCE
    V, T = 6, 5
    seq_g = SequenceGenerator(V, 32)
    seq_d = nn.Sequential(nn.Linear(V * T, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
    opt_sg, opt_sd = torch.optim.Adam(seq_g.parameters(), 5e-3), torch.optim.Adam(seq_d.parameters(), 1e-3)
    rewards = []
    for t in range(cfg.seq_steps):
        start = torch.randint(V, (128, 1), generator=g)
        real_seq = (start + torch.arange(T)) % V                           # (128, T)
        toks, logp = seq_g.sample(128, T, g)
        onehot = lambda s: F.one_hot(s, V).float().flatten(1)
        d_loss = gan_discriminator_loss(seq_d(onehot(real_seq)), seq_d(onehot(toks)))
        opt_sd.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_sd.step()
        with torch.no_grad():
            reward = seq_d(onehot(toks)).squeeze(1)                         # (128,) D's logit as the reward
            valid = ((toks[:, 1:] - toks[:, :-1]) % V == 1).all(1).float().mean().item()
        loss = reinforce_loss(logp, reward)
        opt_sg.zero_grad(set_to_none=True)
        loss.backward()
        opt_sg.step()
        rewards.append(valid)
        run.log(step=t, seq_reward=reward.mean().item(), seq_valid=valid)
    k = max(len(rewards) // 10, 1)
    out["seq_valid_first"], out["seq_valid_last"] = sum(rewards[:k]) / k, sum(rewards[-k:]) / k
    out["seq_reward_gain"] = out["seq_valid_last"] - out["seq_valid_first"]
    fig = Figure(figsize=(14, 4))
    ax = fig.subplots(1, 3)
    xs = [str(t) for t in thresholds]
    ax[0].plot(xs, conf, "o-", label="classifier confidence"); ax[0].set_xlabel("truncation threshold")
    ax2 = ax[0].twinx(); ax2.plot(xs, div, "s--", color="C1", label="diversity"); ax[0].set_title("truncation trick")
    ax[0].legend(loc="lower left"); ax2.legend(loc="lower right")
    ax[1].imshow(path.view(16, 8, 8).permute(1, 0, 2).reshape(8, 128).numpy(), cmap="gray_r")
    ax[1].set_title("slerp interpolation"); ax[1].axis("off")
    ax[2].plot(rewards); ax[2].set_title("sequence GAN: fraction of valid sequences"); ax[2].set_xlabel("step")
    fig.tight_layout()
    run.save_figure(fig, "gan_extras")
    return out


@dataclass
class ConditionalGANsConfig:
    clf_steps: int = 300
    steps: int = 1000
    infogan_steps: int = 4000   # the categorical code needs longer to capture digit identity (see docstring)
    batch_size: int = 64
    latent_dim: int = 16
    samples: int = 500


def _train_digits_classifier(x, y, steps):
    clf = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(clf.parameters(), 1e-2)
    for _ in range(steps):
        loss = F.cross_entropy(clf(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return clf


@experiment("conditional-gans", chapter="generative", exp_id="exp.gen.conditional_gans",
            items=["generative.conditional_gan", "generative.condition_injection", "generative.film",
                   "generative.acgan", "generative.infogan"],
            bars=[Bar("concat_agreement", ">=", 0.8), Bar("film_agreement", ">=", 0.8),
                  Bar("no_z_spread", "<=", 1e-6, "without z the output is deterministic per class"),
                  Bar("infogan_matched_acc", ">=", 0.2, "categorical code aligns with digits above chance (~0.1)")],
            quick=dict(clf_steps=5, steps=5, infogan_steps=5, samples=100), budget="~3 min")
def conditional_gans(cfg: ConditionalGANsConfig, run: Run) -> dict:
    """cGAN (concat / FiLM / no noise), AC-GAN and InfoGAN on 8x8 digits.

    InfoGAN keeps the standard lambda = 1 on -log Q(c|G(z, c)) but trains for ``infogan_steps`` = 4000
    steps instead of the 1000 of the label-conditioned runs: it receives no labels, and the 10-way code
    only starts to capture digit identity after ~1500 steps (matched accuracy ~0.16 at 1000 steps,
    0.58-0.70 at 4000 over seeds 0-2; chance 0.1). These MLP steps are cheap (~3.5 CPU s per 1000).
    """
    g = run.generator
    torch.manual_seed(run.seed)
    xtr, ytr = datasets.load("digits", "train", flatten=True).tensors
    K, dz, out = 10, cfg.latent_dim, {}
    grids = {}
    clf = _train_digits_classifier(xtr, ytr, cfg.clf_steps)
    for name in ("concat", "film", "no_z", "acgan", "infogan"):
        torch.manual_seed(run.seed)
        info = name == "infogan"
        G = ConditionalGenerator(dz + (12 if info else 0), 1 if info else K, 64, (128, 128),
                                 conditioning="film" if name == "film" else "concat", use_noise=name != "no_z")
        D = (AuxClassifierDiscriminator(64, 12 if info else K, (128, 64)) if name in ("acgan", "infogan")
             else ConditionalDiscriminator(64, K, (128, 64)))
        opt_g = torch.optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.999))
        for t in run.progress(range(cfg.infogan_steps if info else cfg.steps)):
            idx = torch.randint(len(xtr), (cfg.batch_size,), generator=g)
            x, c = xtr[idx], ytr[idx]
            if info:
                z, cat, cont = infogan_sample_codes(cfg.batch_size, dz, generator=g)
                c_in = torch.zeros(cfg.batch_size, dtype=torch.long)
            else:
                z, c_in = torch.randn(cfg.batch_size, dz, generator=g), c
            fake = G(z, c_in)
            if name in ("acgan", "infogan"):
                (lr, qr), (lf, qf) = D(x), D(fake.detach())
                d_loss = gan_discriminator_loss(lr, lf)
                if name == "acgan":
                    d_loss = d_loss + acgan_aux_loss(qr, c, qf, c)
                else:
                    d_loss = d_loss + infogan_q_loss(qf, cat, cont)
            else:
                d_loss = cgan_discriminator_loss(D(x, c), D(fake.detach(), c), D(x, mismatched_labels(c, K, g)))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            if name in ("acgan", "infogan"):
                lf, qf = D(fake)
                g_loss = gan_generator_loss(lf) + (F.cross_entropy(qf, c) if name == "acgan"
                                                   else infogan_q_loss(qf, cat, cont))
            else:
                g_loss = gan_generator_loss(D(fake, c))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            if t % 100 == 0:
                run.log(step=t, **{f"{name}_d_loss": d_loss.item(), f"{name}_g_loss": g_loss.item()})
        with torch.no_grad():
            if info:
                z, cat, _ = infogan_sample_codes(cfg.samples, dz, generator=g)
                pred = clf(G(z, torch.zeros(cfg.samples, dtype=torch.long))).argmax(1)
                counts = torch.zeros(K, K)
                counts.index_put_((cat, pred), torch.ones(cfg.samples), accumulate=True)
                rows, cols = linear_sum_assignment(-counts.numpy())            # best one-to-one code -> digit
                out["infogan_matched_acc"] = float(counts.numpy()[rows, cols].sum() / cfg.samples)
                grids[name] = G(infogan_sample_codes(10, dz, generator=g)[0], torch.zeros(10, dtype=torch.long))
            else:
                c = torch.arange(cfg.samples) % K
                xg = G(torch.randn(cfg.samples, dz, generator=g), c)
                out[f"{name}_agreement"] = (clf(xg).argmax(1) == c).float().mean().item()
                x1, x2 = G(torch.randn(K, dz, generator=g), torch.arange(K)), G(torch.randn(K, dz, generator=g), torch.arange(K))
                out[f"{name}_spread"] = (x1 - x2).abs().max().item()
                grids[name] = xg[:10]
    out["no_z_spread"] = out.pop("no_z_spread")
    fig = Figure(figsize=(10, 5))
    ax = fig.subplots(1, 1)
    img = torch.cat([v.view(10, 8, 8).permute(1, 0, 2).reshape(8, 80) for v in grids.values()], 0)
    ax.imshow(img.numpy(), cmap="gray_r")
    ax.set_yticks([4 + 8 * i for i in range(len(grids))], list(grids)); ax.set_xticks([])
    ax.set_title("samples per class 0..9 (InfoGAN: random codes)")
    run.save_figure(fig, "conditional_samples")
    return out
