"""Weight initialisers: small normal, Xavier/Glorot, He/Kaiming, orthogonal (SVD), positive bias.

Syllabus: training.normal_init, training.xavier_init, training.he_init, training.orthogonal_init,
training.positive_bias_init. Notes: 000 L1.14; 001 S4.13; 002 §4.4a-§4.4e, P10.

For a weight of shape (fan_out, fan_in, *kernel), fan_in = in * prod(kernel), fan_out = out * prod(kernel).

    normal        W ~ N(0, sigma^2), b = 0          (002's naive baseline: sigma^2 = 1e-4)
    Xavier/Glorot Var(W) = gain^2 * 2 / (fan_in + fan_out)
    LeCun         Var(W) = 1 / fan_in               (what 002 §4.4b calls Xavier)
    He/Kaiming    Var(W) = gain^2 / fan_in, gain^2 = 2 for ReLU (a ReLU halves the second moment)
    orthogonal    A ~ N(0, 1) shaped (rows, cols); A = U S V^T; W = gain * (U if rows >= cols else V^T)
    positive bias b = 0.1, so fewer ReLU units start dead for every input

Uniform variants draw from U(-sqrt(3 Var), sqrt(3 Var)), which has the same variance.
Errata: 002 writes N(0, 1/sqrt(D_a)), a standard deviation in the variance slot; the variance is
1/D_a. With the same generator the normal/Xavier/Kaiming draws equal torch.nn.init's exactly (the
same algorithm); orthogonal uses the SVD of the notes where torch uses QR, so only its
statistics are compared (tests/nn/test_init.py).
"""
from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["calculate_gain", "fan_in_and_fan_out", "normal_", "uniform_", "zeros_", "constant_",
           "xavier_normal_", "xavier_uniform_", "lecun_normal_", "kaiming_normal_",
           "kaiming_uniform_", "orthogonal_", "positive_bias_", "init_weights_"]

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "step": 1.0, "tanh": 5.0 / 3,
          "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """torch.nn.init.calculate_gain: the factor that keeps the second moment through the activation."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    expect(nonlinearity in _GAINS, "nonlinearity", f"one of {sorted(_GAINS) + ['leaky_relu']}", nonlinearity)
    return _GAINS[nonlinearity]


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel)."""
    expect(tensor.dim() >= 2, "tensor", "at least 2 dimensions (out, in, *kernel)", tuple(tensor.shape))
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    expect(mode in ("fan_in", "fan_out"), "mode", "'fan_in' or 'fan_out'", mode)
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


@syllabus("training.normal_init")
def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: torch.Generator | None = None) -> Tensor:
    """Fill with N(mean, std^2) in place (002's baseline is std = 0.01, i.e. variance 1e-4)."""
    expect(std >= 0, "std", "a non-negative float", std)
    with torch.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: torch.Generator | None = None) -> Tensor:
    """Fill with U(a, b) in place."""
    expect(a <= b, "b", f"a value >= a={a}", b)
    with torch.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def zeros_(tensor: Tensor) -> Tensor:
    with torch.no_grad():
        return tensor.zero_()


def constant_(tensor: Tensor, val: float) -> Tensor:
    with torch.no_grad():
        return tensor.fill_(val)


@syllabus("training.xavier_init")
def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """N(0, gain^2 * 2 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


@syllabus("training.xavier_init")
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)): the same variance as xavier_normal_."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


@syllabus("training.xavier_init")
def lecun_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """N(0, gain^2 / fan_in): the form 002 §4.4b gives under the name Xavier."""
    fan_in, _ = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain / math.sqrt(fan_in), generator)


@syllabus("training.he_init")
def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> Tensor:
    """N(0, gain^2 / fan); for ReLU gain^2 = 2, so Var(W) = 2 / fan_in (He et al.)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


@syllabus("training.he_init")
def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan): the same variance as kaiming_normal_."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


@syllabus("training.orthogonal_init")
def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """An orthogonal matrix (flattened to (out, prod(rest))) from the SVD of a Gaussian draw.

    rows >= cols: W = U (orthonormal columns, W^T W = I); rows < cols: W = V^T (W W^T = I).
    """
    expect(tensor.dim() >= 2, "tensor", "at least 2 dimensions", tuple(tensor.shape))
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    a = torch.empty(rows, cols, dtype=torch.float64, device=tensor.device)
    a.normal_(0.0, 1.0, generator=generator)                        # (rows, cols)
    u, _, vh = torch.linalg.svd(a, full_matrices=False)             # (rows, k), (k,), (k, cols)
    q = u if rows >= cols else vh                                   # (rows, cols)
    with torch.no_grad():
        tensor.view(rows, cols).copy_(q).mul_(gain)
    return tensor


@syllabus("training.positive_bias_init")
def positive_bias_(tensor: Tensor, value: float = 0.1) -> Tensor:
    """Fill a bias with a small positive constant (002 §4.4d: 0.1) so ReLUs start active."""
    expect(value >= 0, "value", "a non-negative float", value)
    return constant_(tensor, value)


Scheme = Literal["default", "normal", "xavier", "lecun", "he", "orthogonal"]


def init_weights_(model: nn.Module, scheme: Scheme = "he", *, std: float = 0.01, gain: float = 1.0,
                  bias: float = 0.0, generator: torch.Generator | None = None) -> nn.Module:
    """Re-initialise every weight matrix (any module with a >=2-D ``weight``) of ``model``.

    ``normal`` uses ``std``; ``xavier``/``lecun``/``orthogonal`` use ``gain``; ``he`` is for ReLU;
    ``default`` leaves weights alone. Every bias is set to ``bias`` (0, or 0.1 for positive bias).
    """
    schemes = ("default", "normal", "xavier", "lecun", "he", "orthogonal")
    expect(scheme in schemes, "scheme", f"one of {schemes}", scheme)
    for m in model.modules():
        w = getattr(m, "weight", None)
        if isinstance(w, Tensor) and w.dim() >= 2:
            if scheme == "normal":
                normal_(w, 0.0, std, generator)
            elif scheme == "xavier":
                xavier_normal_(w, gain, generator)
            elif scheme == "lecun":
                lecun_normal_(w, gain, generator)
            elif scheme == "he":
                kaiming_normal_(w, nonlinearity="relu", generator=generator)
            elif scheme == "orthogonal":
                orthogonal_(w, gain, generator)
            b = getattr(m, "bias", None)
            if isinstance(b, Tensor):
                constant_(b, bias)
    return model
