"""Batch normalisation (train and eval modes) and layer normalisation.

Syllabus: training.batch_norm, training.layer_norm.
Notes: 000 L2.92-L2.96, L5.08; 001 S12.16, S18.16; 002 §4.3b, §6.7k; 003 L0.12.

Batch norm, per channel c over the batch (and spatial) positions, n values each:

    mu_c = mean(x_c),  s2_c = mean((x_c - mu_c)^2)            (biased, used to normalise)
    y = gamma_c (x - mu_c) / sqrt(s2_c + eps) + beta_c          eps = 1e-5, gamma = 1, beta = 0 at init
    r_mean <- (1 - m) r_mean + m mu_c
    r_var  <- (1 - m) r_var  + m s2_c n / (n - 1)              (unbiased for the running average)
    eval:   y = gamma (x - r_mean) / sqrt(r_var + eps) + beta

m = momentum = 0.1 weights the NEW batch; momentum=None uses m = 1/t (t = batches seen), the
cumulative average. mu and s2 depend on x, so the gradient flows through them (it differs from
treating them as constants). Layer norm normalises each example over its last dims instead, with
the same affine form, and so does not depend on the batch at all.

Errata: 000's p ~ 0.1 weights the OLD value (the opposite of momentum here); 000/002 leave out
eps; 002 freezes statistics of the whole training set instead of keeping running averages.

The functions :func:`batch_norm` and :func:`layer_norm` are the equations above; the modules
call torch's fused kernels (``F.batch_norm``/``F.layer_norm``, identical maths) unless built with
``fused=False``. Constructor arguments, parameters and buffers are torch's. Both paths equal
torch.nn.BatchNorm1d/2d and LayerNorm, running statistics included (tests/nn/test_normalization.py).
"""
from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["batch_norm", "layer_norm", "BatchNorm1d", "BatchNorm2d", "LayerNorm"]


@syllabus("training.batch_norm")
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch norm over dim 1 of ``input`` (N, C, *); updates the running buffers in training."""
    expect(input.dim() >= 2, "input", "a tensor shaped (N, C, *)", tuple(input.shape))
    C = input.shape[1]
    dims = [0] + list(range(2, input.dim()))          # every axis but the channel
    shape = (1, C) + (1,) * (input.dim() - 2)         # broadcast (C,) against (N, C, *)
    if training:
        n = input.numel() // C
        expect(n > 1, "input", "more than 1 value per channel when training", tuple(input.shape))
        mean = input.mean(dims)                                   # (C,)
        var = ((input - mean.view(shape)) ** 2).mean(dims)        # (C,) biased
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mean)
                running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        expect(running_mean is not None and running_var is not None, "running_mean",
               "running statistics when training=False", None)
        mean, var = running_mean, running_var
    x_hat = (input - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)   # (N, C, *)
    if weight is not None:
        x_hat = x_hat * weight.view(shape)
    if bias is not None:
        x_hat = x_hat + bias.view(shape)
    return x_hat


@syllabus("training.layer_norm")
def layer_norm(input: Tensor, normalized_shape: tuple[int, ...], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each example over its last ``len(normalized_shape)`` dims, then scale and shift."""
    k = len(normalized_shape)
    expect(input.dim() >= k and tuple(input.shape[input.dim() - k:]) == tuple(normalized_shape),
           "input", f"a tensor ending in normalized_shape={tuple(normalized_shape)}", tuple(input.shape))
    dims = tuple(range(-k, 0))
    mean = input.mean(dims, keepdim=True)                         # (..., 1, ..., 1)
    var = ((input - mean) ** 2).mean(dims, keepdim=True)          # biased
    out = (input - mean) / torch.sqrt(var + eps)                  # (..., *normalized_shape)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


class _BatchNorm(nn.Module):
    _input_dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None,
                 fused: bool = True):
        super().__init__()
        expect(isinstance(num_features, int) and num_features > 0, "num_features", "a positive int", num_features)
        expect(eps > 0, "eps", "a positive float", eps)
        expect(momentum is None or 0.0 <= momentum <= 1.0, "momentum", "None or a float in [0, 1]", momentum)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self.fused = affine, track_running_stats, fused
        kw = {"device": device, "dtype": dtype}
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **kw))    # gamma (C,)
            self.bias = nn.Parameter(torch.zeros(num_features, **kw))     # beta (C,)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **kw))
            self.register_buffer("running_var", torch.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            nn.init.ones_(self.weight)
            nn.init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        expect(input.dim() in self._input_dims, "input",
               f"a {' or '.join(f'{d}D' for d in self._input_dims)} tensor", f"{input.dim()}D {tuple(input.shape)}")
        expect(input.shape[1] == self.num_features, "input",
               f"{self.num_features} channels in dim 1", tuple(input.shape))
        expect(input.is_floating_point(), "input", "a floating-point tensor", input.dtype, TypeError)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        rm, rv = (self.running_mean, self.running_var) if keep else (None, None)
        if self.fused:
            return F.batch_norm(input, rm, rv, self.weight, self.bias, use_batch_stats, factor, self.eps)
        return batch_norm(input, rm, rv, self.weight, self.bias, use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}, fused={self.fused}")


@syllabus("training.batch_norm")
class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) with torch.nn.BatchNorm1d's arguments and state."""
    _input_dims = (2, 3)


@syllabus("training.batch_norm")
class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) with torch.nn.BatchNorm2d's arguments and state."""
    _input_dims = (4,)


@syllabus("training.layer_norm")
class LayerNorm(nn.Module):
    """torch.nn.LayerNorm's interface: ``LayerNorm(normalized_shape, eps, elementwise_affine, bias)``."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device=None, dtype=None,
                 fused: bool = True):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (int(normalized_shape),)
        normalized_shape = tuple(normalized_shape)
        expect(len(normalized_shape) > 0 and all(isinstance(d, int) and d > 0 for d in normalized_shape),
               "normalized_shape", "a positive int or a non-empty tuple of positive ints", normalized_shape)
        expect(eps > 0, "eps", "a positive float", eps)
        self.normalized_shape, self.eps = normalized_shape, eps
        self.elementwise_affine, self.fused = elementwise_affine, fused
        kw = {"device": device, "dtype": dtype}
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape, **kw))
            if bias:
                self.bias = nn.Parameter(torch.zeros(normalized_shape, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        if self.fused:
            k = len(self.normalized_shape)
            expect(input.dim() >= k and tuple(input.shape[input.dim() - k:]) == self.normalized_shape,
                   "input", f"a tensor ending in normalized_shape={self.normalized_shape}", tuple(input.shape))
            return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, fused={self.fused}"
