"""Convolutional networks: arithmetic, classical filters, classic architectures, and training studies.

``conv-arithmetic``     output-size formulas vs real shapes, conv as a matrix, transposed/dilated/causal
                        identities, parameter counts (exp.cnn.conv_arithmetic)
``classical-filters``   box vs Gaussian denoising, Sobel with/without smoothing, DoG (exp.cnn.classical_filters)
``architecture-shapes`` parameter counts and VGG memory of the classic CNNs (exp.cnn.architecture_shapes)
``cnn-vs-mlp``          MLP vs LeNet-5 vs small CNNs (max / average pooling) vs pixel self-attention on
                        10/50/100% of the digits (exp.cnn.cnn_vs_mlp_pooling)
``residual-depth``      plain vs residual networks of depth 8/20/56: training loss (exp.cnn.residual_depth)
``transfer-digits``     scratch vs fine-tuning vs frozen features, digits 0-4 -> 5-9 at random places in a
                        16x16 canvas, 1/5/10/all labels per class (exp.cnn.transfer_learning)
``efficient-blocks``    standard vs depthwise-separable convs, with and without SE (exp.cnn.efficient_blocks)

Data: scikit-learn's 8x8 digits (``deepnotes.data.load("digits")``) and skimage's camera image.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import data
from ..models import CNNClassifier, LeNet5, SqueezeExcitation, count_parameters, create_model, freeze
from ..models.resnet import CifarResNet
from ..nn import (Conv1d, Conv2d, Conv3d, ConvTranspose2d, DepthwiseSeparableConv2d, MaxPool2d, TemporalConvNet,
                  conv2d_matrix, conv_nd, conv_output_size, conv_transpose2d, conv_transpose2d_zero_insertion,
                  conv_transpose_output_size, input_size_for_output, pool_output_size, receptive_field)
from ..vision import (box_filter, convolve1d, derivative_of_gaussian_kernel, emboss, gaussian_filter, gaussian_kernel,
                      gaussian_kernel1d, gradient_magnitude_orientation, sharpen)
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["ConvArithmeticConfig", "ClassicalFiltersConfig", "ArchitectureShapesConfig", "CNNvsMLPConfig",
           "ResidualDepthConfig", "TransferConfig", "EfficientBlocksConfig"]



# ------------------------------------------------------------------------------------------------
@dataclass
class ConvArithmeticConfig:
    max_size: int = 40          # W in [1, max_size] for the shape grid
    random_configs: int = 100   # random conv configurations checked against F.conv2d


@experiment("conv-arithmetic", chapter="cnn", exp_id="exp.cnn.conv_arithmetic",
            items=["cnn.conv2d", "cnn.conv_output_size", "cnn.receptive_field", "cnn.conv_as_matrix",
                   "cnn.transposed_conv", "cnn.dilated_conv", "cnn.causal_dilated_conv",
                   "cnn.depthwise_separable_conv", "cnn.depthwise_conv", "cnn.pointwise_conv",
                   "cnn.conv_properties", "cnn.convolution_vs_correlation", "cnn.conv1d", "cnn.conv3d"],
            bars=[Bar("shape_mismatches", "==", 0), Bar("max_identity_err", "<=", 1e-6),
                  Bar("standard_conv_params", "==", 4608), Bar("separable_conv_params", "==", 656),
                  Bar("inception_heatmap_size", "==", 8), Bar("causal_leak", "==", 0),
                  Bar("tcn_receptive_field", "==", 1024)],
            quick=dict(max_size=12, random_configs=10), budget="~15 s on 2 CPU cores")
def conv_arithmetic(cfg: ConvArithmeticConfig, run: Run) -> dict[str, float]:
    """Shape formulas against real outputs; conv = C x, conv_T = C^T y; dilation, causality, counts."""
    g = run.generator
    mismatches, checked = 0, 0
    for W in range(1, cfg.max_size + 1):
        x = torch.empty(1, 1, W, device="meta")
        for K in range(1, 8):
            for S in range(1, 5):
                for P in range(0, 4):
                    for D in range(1, 4):
                        if W + 2 * P >= D * (K - 1) + 1:
                            y = F.conv1d(x, torch.empty(1, 1, K, device="meta"), stride=S, padding=P, dilation=D)
                            mismatches += conv_output_size(W, K, S, P, D) != y.shape[-1]
                            checked += 1
                        if P <= K // 2 and W + 2 * P >= D * (K - 1) + 1:
                            y = F.max_pool1d(torch.zeros(1, 1, W), K, S, P, D, ceil_mode=True)
                            mismatches += pool_output_size(W, K, S, P, D, True) != y.shape[-1]
                        if P <= D * (K - 1) and conv_transpose_output_size(W, K, S, P, 0, D) > 0:
                            y = F.conv_transpose1d(x, torch.empty(1, 1, K, device="meta"), stride=S, padding=P, dilation=D)
                            mismatches += conv_transpose_output_size(W, K, S, P, 0, D) != y.shape[-1]
    run.log(step=0, shapes_checked=checked, shape_mismatches=mismatches)
    errs = {}
    # conv2d / conv1d / conv3d from the definition vs torch on random configurations
    worst = 0.0
    for _ in range(cfg.random_configs):
        c_in, c_out, k = int(torch.randint(1, 4, (1,), generator=g)), int(torch.randint(1, 4, (1,), generator=g)), int(torch.randint(1, 4, (1,), generator=g))
        s, p, d = int(torch.randint(1, 3, (1,), generator=g)), int(torch.randint(0, 2, (1,), generator=g)), int(torch.randint(1, 3, (1,), generator=g))
        xx = torch.randn(2, c_in, 9, 9, generator=g, dtype=torch.float64)
        w = torch.randn(c_out, c_in, k, k, generator=g, dtype=torch.float64)
        worst = max(worst, float((conv_nd(xx, w, None, s, p, d) - F.conv2d(xx, w, None, s, p, d)).abs().max()))
    errs["conv2d_vs_torch"] = worst
    x1, w1 = torch.randn(2, 3, 20, generator=g, dtype=torch.float64), torch.randn(4, 3, 3, generator=g, dtype=torch.float64)
    errs["conv1d_vs_torch"] = float((conv_nd(x1, w1, None, 2, 1, 2) - F.conv1d(x1, w1, None, 2, 1, 2)).abs().max())
    x3, w3 = torch.randn(1, 2, 6, 7, 5, generator=g, dtype=torch.float64), torch.randn(3, 2, 3, 3, 3, generator=g, dtype=torch.float64)
    errs["conv3d_vs_torch"] = float((conv_nd(x3, w3, None, 1, 1) - F.conv3d(x3, w3, None, 1, 1)).abs().max())
    # conv as a 4 x 16 matrix; transposed conv = C^T; zero insertion; adjoint; gradient
    k = torch.randn(3, 3, generator=g, dtype=torch.float64)
    C = conv2d_matrix(k, (4, 4))
    xm = torch.randn(4, 4, generator=g, dtype=torch.float64)
    ym = torch.randn(2, 2, generator=g, dtype=torch.float64)
    errs["conv_matrix"] = float((C @ xm.flatten() - F.conv2d(xm[None, None], k[None, None]).flatten()).abs().max())
    errs["transposed_is_CT"] = float((C.T @ ym.flatten() - conv_transpose2d(ym[None, None], k[None, None]).flatten()).abs().max())
    xt, wt = torch.randn(1, 2, 5, 5, generator=g, dtype=torch.float64), torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    ref = F.conv_transpose2d(xt, wt, stride=2, padding=1)
    errs["transposed_vs_torch"] = float((conv_transpose2d(xt, wt, stride=2, padding=1) - ref).abs().max())
    errs["zero_insertion"] = float((conv_transpose2d_zero_insertion(xt, wt, stride=2, padding=1) - ref).abs().max())
    z = torch.randn_like(ref)
    errs["adjoint"] = float(((F.conv2d(z, wt, stride=2, padding=1) * xt).sum() - (z * ref).sum()).abs())
    # dilation = a zero-inserted kernel; rate 2, pad 2 keeps the size
    wd = torch.randn(2, 2, 3, 3, generator=g, dtype=torch.float64)
    big = torch.zeros(2, 2, 5, 5, dtype=torch.float64)
    big[..., ::2, ::2] = wd
    xd = torch.randn(1, 2, 11, 11, generator=g, dtype=torch.float64)
    errs["dilated"] = float((conv_nd(xd, wd, padding=2, dilation=2) - F.conv2d(xd, big, padding=2)).abs().max())
    same_size = conv_nd(xd, wd, padding=2, dilation=2).shape[-2:] == (11, 11)
    # convolution algebra against numpy
    f, gg, h = (np.random.default_rng(run.seed + i).standard_normal(n) for i, n in enumerate((30, 5, 7)))
    errs["commutative"] = float((convolve1d(f, gg) - convolve1d(gg, f)).abs().max())
    errs["associative"] = float((convolve1d(convolve1d(f, gg), h) - convolve1d(f, convolve1d(gg, h))).abs().max())
    errs["vs_numpy_convolve"] = float(np.abs(convolve1d(f, gg).numpy() - np.convolve(f, gg)).max())
    # causal TCN: future inputs do not move past outputs; receptive field 1024 for K=2, L=10
    torch.manual_seed(run.seed)
    tcn = TemporalConvNet(1, 2, num_layers=10, kernel_size=2).double()
    xs = torch.randn(1, 1, 1100, generator=g, dtype=torch.float64)
    x2 = xs.clone()
    x2[..., 601:] = torch.randn(1, 1, 499, generator=g, dtype=torch.float64)
    with torch.no_grad():
        leak = float((tcn(xs)[..., :601] - tcn(x2)[..., :601]).abs().max())
    # parameter counts and the InceptionV3-equivalent conv (stride 32, kernel 75)
    std = Conv2d(16, 32, 3, bias=False).weight.numel()
    sep = sum(p.numel() for p in DepthwiseSeparableConv2d(16, 32, 3, bias=False).parameters())
    heat = conv_output_size(299, 75, 32)
    errs_max = max(errs.values())
    for i, (name, v) in enumerate(sorted(errs.items())):
        run.log(step=i + 1, identity=name, err=v)
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    axes[0].imshow(C.numpy(), cmap="coolwarm")
    axes[0].set_title("3x3 conv on a 4x4 input as a 4 x 16 matrix C")
    names = sorted(errs)
    axes[1].barh(names, [max(errs[n], 1e-18) for n in names])
    axes[1].set_xscale("log")
    axes[1].set_title("identity errors (float64)")
    run.save_figure(fig, "conv_matrix_and_identities")
    return {"shape_mismatches": float(mismatches), "shapes_checked": float(checked), "max_identity_err": errs_max,
            "standard_conv_params": float(std), "separable_conv_params": float(sep),
            "inception_heatmap_size": float(heat), "inception_input_for_8": float(input_size_for_output([(75, 32)], 8)),
            "rf_two_3x3": float(receptive_field([(3, 1)] * 2)[0]), "dilated_same_size": float(same_size),
            "causal_leak": leak, "tcn_receptive_field": float(tcn.receptive_field)}


# ------------------------------------------------------------------------------------------------
@dataclass
class ClassicalFiltersConfig:
    noise_std: float = 0.1
    crop: int = 512             # use the top-left crop x crop of the camera image


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1.0 / ((a - b) ** 2).mean()))


@experiment("classical-filters", chapter="cnn", exp_id="exp.cnn.classical_filters",
            items=["cnn.box_filter", "cnn.gaussian_filter", "cnn.derivative_filters", "cnn.derivative_of_gaussian",
                   "cnn.sharpen_emboss", "cnn.conv_properties"],
            bars=[Bar("psnr_comparison_made", "==", 1), Bar("box_psnr_gain", ">", 0), Bar("gauss_psnr_gain", ">", 0),
                  Bar("spurious_edges_smoothed_over_raw", "<", 1), Bar("dog_identity_err", "<=", 1e-10)],
            quick=dict(crop=128), budget="~10 s on 2 CPU cores")
def classical_filters(cfg: ClassicalFiltersConfig, run: Run) -> dict[str, float]:
    """Denoise the noisy camera image with 5x5 box and Gaussian filters; edges with and without smoothing."""
    from skimage import data as skdata
    clean = torch.tensor(skdata.camera()[:cfg.crop, :cfg.crop] / 255.0)
    noisy = (clean + cfg.noise_std * torch.randn(clean.shape, generator=run.generator, dtype=torch.float64)).clamp(0, 1)
    box = box_filter(noisy, 5, mode="reflect")
    gauss = gaussian_filter(noisy, 1.0, truncate=2.0)            # the 5x5, sigma = 1 kernel
    psnr = {"noisy": _psnr(noisy, clean), "box": _psnr(box, clean), "gauss": _psnr(gauss, clean)}
    # edge sharpness: mean gradient magnitude on the clean image's strongest edges
    clean_mag, _ = gradient_magnitude_orientation(clean)
    edges = clean_mag > clean_mag.quantile(0.95)
    sharp = {k: float(gradient_magnitude_orientation(v)[0][edges].mean() / clean_mag[edges].mean())
             for k, v in (("box", box), ("gauss", gauss))}
    # spurious edges: edge pixels in flat regions, raw Sobel vs Sobel after Gaussian smoothing
    flat = clean_mag < clean_mag.quantile(0.5)
    raw_mag, _ = gradient_magnitude_orientation(noisy)
    smooth_mag, _ = gradient_magnitude_orientation(noisy, smooth_sigma=1.0)
    thr = 0.5 * float(clean_mag[edges].mean())
    spurious_raw, spurious_smooth = float((raw_mag[flat] > thr).float().mean()), float((smooth_mag[flat] > thr).float().mean())
    # d/dx (G * f) = G' * f exactly for the discrete derivative [1, 0, -1]/2 (associativity)
    d = torch.tensor([0.5, 0.0, -0.5], dtype=torch.float64)
    G = gaussian_kernel1d(1.5, 6)
    row = clean[cfg.crop // 2]
    dog_err = float((convolve1d(d, convolve1d(G, row)) - convolve1d(convolve1d(d, G), row)).abs().max())
    dog_analytic = float((derivative_of_gaussian_kernel(1.5, 6) - convolve1d(G, d, "same")).abs().max())
    for i, (k, v) in enumerate(psnr.items()):
        run.log(step=i, filter=k, psnr=v)
    plt = _plt()
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.5))
    panels = [(noisy, f"noisy ({psnr['noisy']:.1f} dB)"), (box, f"box 5x5 ({psnr['box']:.1f} dB)"),
              (gauss, f"Gaussian 5x5 s=1 ({psnr['gauss']:.1f} dB)"), (sharpen(clean).clamp(0, 1), "sharpened"),
              (raw_mag, f"Sobel |G| raw ({spurious_raw:.1%} spurious)"),
              (smooth_mag, f"Sobel |G| after Gaussian ({spurious_smooth:.1%})"),
              (emboss(clean).clamp(0, 1), "embossed"), (gaussian_kernel(5, 1.0, normalize=False), "5x5 Gaussian (unnormalised)")]
    for ax, (img, title) in zip(axes.flat, panels):
        ax.imshow(img.numpy(), cmap="gray")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    run.save_figure(fig, "filters")
    return {"psnr_noisy": psnr["noisy"], "psnr_box": psnr["box"], "psnr_gauss": psnr["gauss"],
            "psnr_comparison_made": 1.0, "gauss_minus_box_psnr": psnr["gauss"] - psnr["box"],
            "box_psnr_gain": psnr["box"] - psnr["noisy"], "gauss_psnr_gain": psnr["gauss"] - psnr["noisy"],
            "edge_sharpness_box": sharp["box"], "edge_sharpness_gauss": sharp["gauss"],
            "spurious_edges_raw": spurious_raw, "spurious_edges_smoothed": spurious_smooth,
            "spurious_edges_smoothed_over_raw": spurious_smooth / max(spurious_raw, 1e-12),
            "dog_identity_err": dog_err, "dog_analytic_vs_discrete": dog_analytic}


# ------------------------------------------------------------------------------------------------
@dataclass
class ArchitectureShapesConfig:
    batch: int = 1
    models: tuple = ("lenet5", "alexnet", "vgg16", "resnet18", "resnet152", "inception_v3", "efficientnet_b0")


PUBLISHED = {"lenet5": 61_706, "alexnet": 62_378_344, "vgg16": 138_357_544, "resnet18": 11_689_512,
             "resnet152": 60_192_808, "inception_v3": 27_161_264, "efficientnet_b0": 5_288_548}


@experiment("architecture-shapes", chapter="cnn", exp_id="exp.cnn.architecture_shapes",
            items=["cnn.lenet", "cnn.alexnet", "cnn.vgg16", "cnn.resnet", "cnn.inception", "cnn.mobilenet_xception",
                   "cnn.efficientnet_scaling", "cnn.squeeze_excitation", "cnn.local_response_norm", "cnn.global_avg_pool"],
            bars=[Bar("count_mismatches", "==", 0), Bar("vgg_fc1_share", ">=", 0.73), Bar("vgg_fc1_share", "<=", 0.75),
                  Bar("vgg_first_third_activation_share", ">", 0.5)],
            quick=dict(models=("lenet5", "alexnet", "resnet18")), budget="~10 s on 2 CPU cores (meta device: nothing allocated)")
def architecture_shapes(cfg: ArchitectureShapesConfig, run: Run) -> dict[str, float]:
    """Build the classic CNNs on the meta device, count parameters, trace VGG-16's activation memory."""
    counts, mismatches = {}, 0
    with torch.device("meta"):
        for i, name in enumerate(cfg.models):
            published = PUBLISHED[name]
            counts[name] = count_parameters(create_model(name))
            mismatches += counts[name] != published
            run.log(step=i, model=name, params=counts[name], published=published)
        counts["mobilenet_v1"] = count_parameters(create_model("mobilenet_v1"))
        vgg = create_model("vgg16")
    x = torch.empty(cfg.batch, 3, 224, 224, device="meta")
    names, act = [], []
    for i, layer in enumerate(vgg.features):
        x = layer(x)
        names.append(f"{i}:{type(layer).__name__}")
        act.append(x.numel() // cfg.batch)
    fc1 = sum(p.numel() for p in vgg.classifier[0].parameters())
    third = len(act) // 3
    se = SqueezeExcitation(256, 16)
    se_params = count_parameters(se)
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    axes[0].bar(range(len(act)), [a * 4 / 2 ** 20 for a in act])
    axes[0].set_title("VGG-16 activation memory per layer (MiB, float32, one image)")
    axes[0].set_xlabel("features layer")
    names_m = list(counts)
    axes[1].barh(names_m, [counts[n] / 1e6 for n in names_m])
    axes[1].set_xscale("log")
    axes[1].set_title("parameters (millions)")
    run.save_figure(fig, "architectures")
    return {**{f"params_{k}": float(v) for k, v in counts.items()}, "count_mismatches": float(mismatches),
            "vgg_fc1_share": fc1 / count_parameters(vgg), "vgg_first_third_activation_share": sum(act[:third]) / sum(act),
            "se_block_params": float(se_params), "se_formula": 2 * 256 * 16 + 16 + 256}


# ------------------------------------------------------------------------------------------------
def _digits(split: str, pad_to: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = data.load("digits", split=split).tensors                      # (N, 1, 8, 8), (N,)
    if pad_to:                                                           # LeNet: 8x8 -> 24x24 (x3), zero pad to 32
        x = F.pad(x.repeat_interleave(3, -2).repeat_interleave(3, -1), (4, 4, 4, 4))
    return x, y


def _fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, lr: float, generator: torch.Generator,
         batch_size: int = 32, params=None, weight_decay: float = 0.0) -> list[float]:
    """Adam on the cross-entropy; returns the mean training loss of each epoch."""
    opt = torch.optim.Adam(params if params is not None else model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=generator)
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(x))
    return losses


@torch.no_grad()
def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(x).argmax(-1) == y).float().mean())


@torch.no_grad()
def _mean_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float(F.cross_entropy(model(x), y))


class PixelSelfAttention(nn.Module):
    """Each pixel is a token (value + learned position); one self-attention block; mean-pool; linear."""

    def __init__(self, pixels: int = 64, dim: int = 32, heads: int = 4, num_classes: int = 10):
        super().__init__()
        self.embed = nn.Linear(1, dim)
        self.pos = nn.Parameter(torch.randn(1, pixels, dim) * 0.1)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        t = self.embed(x.flatten(1)[..., None]) + self.pos                  # (B, 64, dim)
        h = self.norm1(t)
        t = t + self.attn(h, h, h, need_weights=False)[0]
        t = t + self.mlp(self.norm2(t))
        return self.head(t.mean(1))


@dataclass
class CNNvsMLPConfig:
    epochs: int = 20
    fractions: tuple = (0.1, 0.5, 1.0)
    lr: float = 3e-3


@experiment("cnn-vs-mlp", chapter="cnn", exp_id="exp.cnn.cnn_vs_mlp_pooling",
            items=["cnn.cnn_classifier", "cnn.lenet", "cnn.max_pool", "cnn.avg_pool", "training.mlp"],
            bars=[Bar("cnn_minus_mlp_acc", ">=", 0.0), Bar("cnn_over_mlp_params", "<", 1.0),
                  Bar("lenet_acc", ">=", 0.97), Bar("max_vs_avg_measured", "==", 1), Bar("attention_gap_measured", "==", 1)],
            quick=dict(epochs=1, fractions=(0.1,)), budget="~4 min under contention (253 s measured)")
def cnn_vs_mlp(cfg: CNNvsMLPConfig, run: Run) -> dict[str, float]:
    """MLP, LeNet-5 (digits padded to 32x32), small CNN with max / average pooling, pixel self-attention."""
    xtr, ytr = _digits("train")
    xte, yte = _digits("test")
    xtr32, xte32 = _digits("train", 32)[0], _digits("test", 32)[0]
    builders = {
        "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)),
        "cnn_max": lambda: CNNClassifier(1, 10, (16, 32), 8, pool="max"),
        "cnn_avg": lambda: CNNClassifier(1, 10, (16, 32), 8, pool="avg"),
        "lenet5": lambda: LeNet5(10, 1, activation="relu"),
        "self_attention": lambda: PixelSelfAttention(),
    }
    results, params, step = {}, {}, 0
    for frac in cfg.fractions:
        n = max(20, int(frac * len(xtr)))
        idx = torch.randperm(len(xtr), generator=run.generator)[:n]
        for name, build in builders.items():
            torch.manual_seed(run.seed)
            model = build()
            params[name] = count_parameters(model)
            big = name == "lenet5"
            xa, xb = (xtr32, xte32) if big else (xtr, xte)
            epochs = max(1, int(cfg.epochs * min(1.0, 0.5 / frac))) if frac < 0.5 else cfg.epochs
            _fit(model, xa[idx], ytr[idx], epochs, cfg.lr, run.generator)
            acc, train_acc = _accuracy(model, xb, yte), _accuracy(model, xa[idx], ytr[idx])
            results[(name, frac)] = (acc, train_acc)
            run.log(step=step, model=name, fraction=frac, test_acc=acc, train_acc=train_acc, params=params[name])
            step += 1
    full = max(cfg.fractions)
    best_cnn = max(results[(n, full)][0] for n in ("cnn_max", "cnn_avg", "lenet5"))
    cnn_params = min(params["cnn_max"], params["lenet5"])
    small = min(cfg.fractions)
    gap = lambda n: results[(n, small)][1] - results[(n, small)][0]          # noqa: E731 train - test
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in builders:
        ax.plot(cfg.fractions, [results[(name, f)][0] for f in cfg.fractions], "o-", label=f"{name} ({params[name]:,} p)")
    ax.set_xlabel("fraction of the training set")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    run.save_figure(fig, "accuracy_vs_data")
    return {"mlp_acc": results[("mlp", full)][0], "cnn_max_acc": results[("cnn_max", full)][0],
            "cnn_avg_acc": results[("cnn_avg", full)][0], "lenet_acc": results[("lenet5", full)][0],
            "attention_acc": results[("self_attention", full)][0], "cnn_minus_mlp_acc": best_cnn - results[("mlp", full)][0],
            "cnn_over_mlp_params": cnn_params / params["mlp"],
            "max_minus_avg_acc": float(np.mean([results[("cnn_max", f)][0] - results[("cnn_avg", f)][0] for f in cfg.fractions])),
            "max_vs_avg_measured": 1.0, "attention_gap_small_data": gap("self_attention"), "cnn_gap_small_data": gap("cnn_max"),
            "attention_minus_cnn_gap": gap("self_attention") - gap("cnn_max"), "attention_gap_measured": 1.0}


# ------------------------------------------------------------------------------------------------
@dataclass
class ResidualDepthConfig:
    depths: tuple = (8, 20, 56)
    epochs: int = 6
    width: int = 8
    lr: float = 1e-3
    train_size: int = 512


@experiment("residual-depth", chapter="cnn", exp_id="exp.cnn.residual_depth",
            items=["cnn.residual_block", "cnn.resnet"],
            bars=[Bar("plain_deep_minus_shallow_loss", ">", 0.0), Bar("residual_gap_over_plain_gap", "<=", 0.1),
                  Bar("plain_minus_residual_deep_loss", ">", 0.0)],
            quick=dict(depths=(8, 14), epochs=1, train_size=64), budget="~2.5 min on 2 CPU cores")
def residual_depth(cfg: ResidualDepthConfig, run: Run) -> dict[str, float]:
    """Plain vs residual CIFAR-style ResNets of increasing depth on the digits: final TRAINING loss."""
    xtr, ytr = _digits("train")
    xtr, ytr = xtr[:cfg.train_size], ytr[:cfg.train_size]
    curves, final = {}, {}
    for depth in cfg.depths:
        for plain in (True, False):
            torch.manual_seed(run.seed)
            model = CifarResNet(depth, 10, in_channels=1, width=cfg.width, plain=plain)
            losses = _fit(model, xtr, ytr, cfg.epochs, cfg.lr, run.generator, batch_size=64)
            key = f"{'plain' if plain else 'resnet'}{depth}"
            curves[key], final[key] = losses, _mean_loss(model, xtr, ytr)
            for e, l in enumerate(losses):
                run.log(step=e, model=key, train_loss=l)
    lo, hi = min(cfg.depths), max(cfg.depths)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, c in curves.items():
        ax.plot(c, "--" if key.startswith("plain") else "-", label=key)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=8)
    run.save_figure(fig, "training_loss")
    return {**{f"train_loss_{k}": v for k, v in final.items()},
            "plain_deep_minus_shallow_loss": final[f"plain{hi}"] - final[f"plain{lo}"],
            "residual_deep_minus_shallow_loss": final[f"resnet{hi}"] - final[f"resnet{lo}"],
            "residual_gap_over_plain_gap": max(final[f"resnet{hi}"] - final[f"resnet{lo}"], 0.0)
            / max(final[f"plain{hi}"] - final[f"plain{lo}"], 1e-12),
            "plain_minus_residual_deep_loss": final[f"plain{hi}"] - final[f"resnet{hi}"]}


# ------------------------------------------------------------------------------------------------
@dataclass
class TransferConfig:
    canvas: int = 16                   # each 8x8 digit pasted at a random place in a canvas x canvas image
    channels: tuple = (16, 32, 64)     # CNNClassifier conv blocks: 16 -> 8 -> 4 -> 2, 64 x 2 x 2 features
    pretrain_epochs: int = 30          # source task: digits 0-4, all their training images
    shots: tuple = (1, 5, 10, 0)       # target labels per class; 0 = all (~107 per class)
    draws: int = 4                     # label draws per few-label count, shared by the three methods
    inits: int = 4                     # initializations at all labels (one draw of "all"; 179 test images,
                                       # so one init alone moves the gap by +-0.015)
    steps: int = 200                   # Adam steps on the target with few labels (all three plateau by then)
    steps_all: int = 800               # Adam steps on the target with all labels (~48 epochs; scratch and
                                       # fine-tune plateau by ~400)
    early_steps: int = 20              # "converges faster": test accuracy after this many steps
    eval_every: int = 20
    batch_size: int = 32
    lr: float = 2e-3                   # the same for all three methods
    backbone_lr_scale: float = 1.0     # fine-tuning: transferred conv layers at lr * this


def _translated_digits(x: torch.Tensor, canvas: int, generator: torch.Generator) -> torch.Tensor:
    """Paste each (1, 8, 8) digit at a uniformly random offset in a zero (1, canvas, canvas) image."""
    n, _, h, w = x.shape                                                 # (N, 1, 8, 8)
    out = x.new_zeros(n, 1, canvas, canvas)                              # (N, 1, S, S)
    off = torch.randint(0, canvas - h + 1, (n, 2), generator=generator)  # (N, 2) top-left corners
    for i, (r, c) in enumerate(off.tolist()):
        out[i, :, r:r + h, c:c + w] = x[i]
    return out


def _label_draw(y: torch.Tensor, shots: int, classes: int, generator: torch.Generator) -> torch.Tensor:
    """Indices of ``shots`` random examples of each class (all indices when shots == 0)."""
    if not shots:
        return torch.arange(len(y))
    return torch.cat([torch.nonzero(y == c).flatten()[torch.randperm(int((y == c).sum()), generator=generator)[:shots]]
                      for c in range(classes)])


def _train_target(model: nn.Module, groups: list[dict], x: torch.Tensor, y: torch.Tensor, steps: int,
                  batch_size: int, generator: torch.Generator, xte: torch.Tensor, yte: torch.Tensor,
                  eval_every: int, early: int) -> dict[int, float]:
    """Adam for ``steps`` minibatch steps; test accuracy at 0, ``early``, every ``eval_every`` and the last step."""
    opt = torch.optim.Adam(groups)
    curve = {0: _accuracy(model, xte, yte)}
    for t in range(1, steps + 1):
        model.train()
        idx = torch.randperm(len(x), generator=generator)[:batch_size]    # the whole set when it is small
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if t % eval_every == 0 or t in (early, steps):
            curve[t] = _accuracy(model, xte, yte)
    return curve


@experiment("transfer-digits", chapter="cnn", exp_id="exp.cnn.transfer_learning",
            items=["cnn.transfer_learning", "autodiff.parameter_freezing", "cnn.cnn_classifier"],
            bars=[Bar("finetune_minus_scratch_few", ">", 0.0), Bar("frozen_minus_scratch_few", ">", 0.0),
                  Bar("finetune_minus_scratch_early_few", ">", 0.0), Bar("frozen_minus_scratch_early_few", ">", 0.0),
                  Bar("abs_finetune_minus_scratch_all", "<=", 0.02), Bar("gap_closes_with_all_labels", ">", 0.0),
                  Bar("frozen_backbone_changed", "==", 0)],
            quick=dict(pretrain_epochs=1, shots=(5, 0), draws=1, inits=1, steps=10, steps_all=10, early_steps=5,
                       eval_every=5), budget="~2 min CPU")
def transfer_digits(cfg: TransferConfig, run: Run) -> dict[str, float]:
    """Pretrain a CNN on digits 0-4, transfer to 5-9: scratch vs fine-tuning vs frozen features.

    The digits are pasted at random places in a 16x16 canvas (one placement per image, drawn from
    the run's seed). On the plain 8x8 digits the comparison has no room: raw pixels are already a
    good representation of 5-9 (nearest class mean on pixels, 1 label per class: 0.72 test
    accuracy; on the conv features pretrained on 0-4: 0.69; on random conv features: 0.66), so a
    CNN from scratch matches the transferred ones (measured, 5 label draws, equal steps and LR:
    scratch 0.76 / fine-tune 0.72 / frozen 0.70 at 1 label, 0.94 / 0.94 / 0.92 at 5). With the
    digits at random places the target needs translation-robust features that 5 labels cannot
    teach but 540 source images of 0-4 can (pixels, nearest class mean: 0.21, chance 0.2).

    Protocol, the same for all three methods: one CNNClassifier architecture and init seed, the
    same label draws (paired), Adam at the same LR for the same number of steps (all three
    plateau within them; scratch is not helped by a larger or smaller LR), test accuracy on the
    test split's 5-9. Scratch: fresh network. Fine-tune: conv layers copied from the source model,
    fresh MLP head, everything trained (``backbone_lr_scale`` = 1: a 0.1 backbone LR trains more
    slowly at all labels and ends below scratch within the budget). Frozen: the same copy with the
    conv layers frozen (requires_grad False; checked unchanged after training), the head trained.
    "Converges faster" = test accuracy after ``early_steps`` steps. "The gap closes" = the
    fine-tune minus scratch difference at all labels is within 0.02 and smaller than with few labels.
    """
    g = run.generator
    xtr, ytr = _digits("train")
    xte, yte = _digits("test")
    xtr, xte = _translated_digits(xtr, cfg.canvas, g), _translated_digits(xte, cfg.canvas, g)   # (N, 1, S, S)
    src = ytr < 5
    torch.manual_seed(run.seed)
    source = CNNClassifier(1, 5, cfg.channels, cfg.canvas)
    _fit(source, xtr[src], ytr[src], cfg.pretrain_epochs, cfg.lr, g, batch_size=cfg.batch_size)
    source_acc = _accuracy(source, xte[yte < 5], yte[yte < 5])
    tx, ty = xtr[~src], ytr[~src] - 5                                    # target pool: digits 5-9 as 0-4
    ex, ey = xte[yte >= 5], yte[yte >= 5] - 5
    modes = ("scratch", "finetune", "frozen")
    final = {}                                                           # (mode, shots) -> [acc per draw]
    early = {}                                                           # (mode, shots) -> [acc per draw]
    curves = {}                                                          # (mode, shots) -> [curve per draw]
    changed = 0
    for shots in cfg.shots:
        steps = cfg.steps if shots else cfg.steps_all
        for d in range(cfg.draws if shots else cfg.inits):
            idx = _label_draw(ty, shots, 5, torch.Generator().manual_seed(1000 * run.seed + d))
            for mode in modes:
                torch.manual_seed(1000 * run.seed + d)                   # the same fresh head for all three
                model = CNNClassifier(1, 5, cfg.channels, cfg.canvas)
                if mode != "scratch":                                    # transfer the conv features
                    model.features.load_state_dict(source.features.state_dict())
                if mode == "frozen":
                    freeze(model.features)
                    before = {k: v.clone() for k, v in model.features.state_dict().items()}
                head = list(model.classifier.parameters())
                body = [p for p in model.features.parameters() if p.requires_grad]
                body_lr = cfg.lr * (cfg.backbone_lr_scale if mode == "finetune" else 1.0)
                groups = [{"params": head, "lr": cfg.lr}] + ([{"params": body, "lr": body_lr}] if body else [])
                curve = _train_target(model, groups, tx[idx], ty[idx], steps, cfg.batch_size,
                                      torch.Generator().manual_seed(7 + 1000 * run.seed + d), ex, ey, cfg.eval_every,
                                      min(cfg.early_steps, steps))
                if mode == "frozen":
                    changed += sum(int(not torch.equal(before[k], v)) for k, v in model.features.state_dict().items())
                for t, a in curve.items():
                    run.log(step=t, mode=mode, shots=shots, draw=d, test_acc=a)
                final.setdefault((mode, shots), []).append(curve[steps])
                early.setdefault((mode, shots), []).append(curve[min(cfg.early_steps, steps)])
                curves.setdefault((mode, shots), []).append(curve)
    acc = {k: float(np.mean(v)) for k, v in final.items()}
    few = [s for s in cfg.shots if s]
    gain = {m: float(np.mean([acc[(m, s)] - acc[("scratch", s)] for s in few])) for m in modes[1:]}
    gain_early = {m: float(np.mean([np.mean(early[(m, s)]) - np.mean(early[("scratch", s)]) for s in few]))
                  for m in modes[1:]}
    gap_all = {m: acc[(m, 0)] - acc[("scratch", 0)] for m in modes[1:]} if 0 in cfg.shots else gain

    panels = ([max(few)] if few else []) + ([0] if 0 in cfg.shots else [])      # learning-curve panels
    plt = _plt()
    fig, axes = plt.subplots(1, 1 + len(panels), figsize=(5.3 * (1 + len(panels)), 4.2))
    xs = [s if s else 107 for s in cfg.shots]
    for mode in modes:
        axes[0].errorbar(xs, [acc[(mode, s)] for s in cfg.shots], yerr=[np.std(final[(mode, s)]) for s in cfg.shots],
                         fmt="o-", capsize=3, label=mode)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("labels per class (107 = all)")
    axes[0].set_ylabel("test accuracy on digits 5-9")
    axes[0].set_title(f"source (0-4) test accuracy {source_acc:.3f}")
    axes[0].legend()
    for ax, shots in zip(axes[1:], panels):
        for mode in modes:
            steps_ = sorted(curves[(mode, shots)][0])
            ax.plot(steps_, [np.mean([c[t] for c in curves[(mode, shots)]]) for t in steps_], label=mode)
        ax.axvline(cfg.early_steps, color="gray", ls=":", lw=1)
        ax.set_xlabel("Adam steps on the target")
        ax.set_ylabel("test accuracy")
        ax.set_title(f"learning curves, {shots or 'all'} labels per class (mean of {len(curves[(modes[0], shots)])})")
        ax.legend()
    run.save_figure(fig, "transfer")

    out = {"source_acc": source_acc, **{f"{m}_acc_{s or 'all'}": v for (m, s), v in acc.items()}}
    for m in modes[1:]:
        out.update({f"{m}_minus_scratch_{s}": acc[(m, s)] - acc[("scratch", s)] for s in few})
        out[f"{m}_minus_scratch_few"] = gain[m]
        out[f"{m}_minus_scratch_early_few"] = gain_early[m]
        out[f"{m}_minus_scratch_all"] = gap_all[m]
    if 0 in cfg.shots:
        out["finetune_minus_scratch_early_all"] = float(np.mean(early[("finetune", 0)]) - np.mean(early[("scratch", 0)]))
    out["abs_finetune_minus_scratch_all"] = abs(gap_all["finetune"])
    out["gap_closes_with_all_labels"] = gain["finetune"] - abs(gap_all["finetune"])
    out["frozen_backbone_changed"] = float(changed)
    return out


# ------------------------------------------------------------------------------------------------
class _BlockNet(nn.Module):
    """Two conv blocks (standard or depthwise-separable, optional SE) on 8x8 digits, GAP, linear."""

    def __init__(self, kind: str, se: bool, channels: int = 64, reduction: int = 16):
        super().__init__()
        def conv(c_in, c_out):
            if kind == "standard":
                return Conv2d(c_in, c_out, 3, padding=1, bias=False)
            return DepthwiseSeparableConv2d(c_in, c_out, 3, padding=1, bias=False)
        blocks = []
        for c_in, c_out in ((1, channels), (channels, channels), (channels, channels)):
            layers = [conv(c_in, c_out) if c_in > 1 else Conv2d(1, c_out, 3, padding=1, bias=False),
                      nn.BatchNorm2d(c_out), nn.ReLU()]
            if se:
                layers.append(SqueezeExcitation(c_out, c_out // reduction))
            blocks.append(nn.Sequential(*layers))
        self.body = nn.Sequential(blocks[0], blocks[1], MaxPool2d(2), blocks[2])     # 8x8 -> 4x4
        self.head = nn.Linear(channels, 10)

    def forward(self, x):
        return self.head(self.body(x).mean((-2, -1)))


@dataclass
class EfficientBlocksConfig:
    epochs: int = 12
    channels: int = 32
    reduction: int = 8
    seeds: int = 2
    lr: float = 3e-3
    train_size: int = 1078


@experiment("efficient-blocks", chapter="cnn", exp_id="exp.cnn.efficient_blocks",
            items=["cnn.depthwise_separable_conv", "cnn.squeeze_excitation", "cnn.conv1d"],
            bars=[Bar("separable_minus_standard_acc", ">=", -0.03), Bar("separable_param_fraction", "<", 0.5),
                  Bar("se_param_formula_err", "==", 0), Bar("se_minus_plain_acc", ">=", -0.01)],
            quick=dict(epochs=1, seeds=1, channels=16, train_size=128), budget="~1.5 min on 2 CPU cores")
def efficient_blocks(cfg: EfficientBlocksConfig, run: Run) -> dict[str, float]:
    """Standard vs depthwise-separable 3x3 convs, with and without squeeze-and-excitation, on digits."""
    xtr, ytr = _digits("train")
    xtr, ytr = xtr[:cfg.train_size], ytr[:cfg.train_size]
    xte, yte = _digits("test")
    acc, params = {}, {}
    for kind in ("standard", "separable"):
        for se in (False, True):
            vals = []
            for s in range(cfg.seeds):
                torch.manual_seed(run.seed + s)
                model = _BlockNet(kind, se, cfg.channels, cfg.reduction)
                params[(kind, se)] = count_parameters(model)
                _fit(model, xtr, ytr, cfg.epochs, cfg.lr, torch.Generator().manual_seed(run.seed + s), batch_size=64)
                vals.append(_accuracy(model, xte, yte))
            acc[(kind, se)] = float(np.mean(vals))
            run.log(step=len(acc), kind=kind, se=int(se), test_acc=acc[(kind, se)], params=params[(kind, se)])
    C, r = cfg.channels, cfg.reduction
    se_expected = 3 * (2 * C * C // r + C // r + C)                       # three SE blocks
    se_err = abs((params[("standard", True)] - params[("standard", False)]) - se_expected)
    # a 1-D check of the same block on a sequence (Conv1d), equal to torch
    x1 = torch.randn(4, 8, 40, generator=run.generator)
    c1 = Conv1d(8, 8, 5, padding=2, groups=8, fast=False)
    with torch.no_grad():
        conv1d_err = float((c1(x1) - F.conv1d(x1, c1.weight, c1.bias, padding=2, groups=8)).abs().max())
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for (kind, se), a in acc.items():
        ax.scatter(params[(kind, se)], a, s=60, label=f"{kind}{' + SE' if se else ''}")
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy")
    ax.legend()
    run.save_figure(fig, "accuracy_vs_params")
    return {**{f"acc_{k}{'_se' if s else ''}": v for (k, s), v in acc.items()},
            **{f"params_{k}{'_se' if s else ''}": float(v) for (k, s), v in params.items()},
            "separable_minus_standard_acc": acc[("separable", False)] - acc[("standard", False)],
            "separable_param_fraction": params[("separable", False)] / params[("standard", False)],
            "se_param_formula_err": float(se_err),
            "se_minus_plain_acc": float(np.mean([acc[(k, True)] - acc[(k, False)] for k in ("standard", "separable")])),
            "conv1d_depthwise_err": conv1d_err}
