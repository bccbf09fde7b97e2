"""Signal-processing convolution and correlation (full / same / valid, circular).

Syllabus: cnn.convolution_vs_correlation, cnn.conv_properties. Notes: 001 S9.08, S9.18, S9.19,
S12.03, S19.15.

    convolution:        (x * k)[n] = sum_u x[n - u] k[u]     the kernel is FLIPPED
    cross-correlation:  (x . k)[n] = sum_u x[n + u] k[u]     it is not (what CNN "conv" layers do)

They coincide for a symmetric kernel and differ (by a sign) for [-1, 0, 1]. 001 says flipping the
kernel turns a convolution into a cross-correlation: it is the other way round, flipping the kernel
of a correlation gives a convolution. Convolution is commutative (x*k = k*x), associative
((f*g)*h = f*(g*h), so a stack of linear filters is one filter), distributive, and commutes with
shifts; the circular convolution of two length-N signals is the inverse DFT of the product of
their DFTs (the convolution theorem). Everything is computed in the dtype given (use float64 for
exact comparisons) through deepnotes.nn.conv_nd.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..core import expect, syllabus
from ..nn.conv import conv_nd

__all__ = ["convolve1d", "correlate1d", "convolve2d", "correlate2d", "circular_convolve"]

SYLLABUS = ["cnn.conv_properties"]
_MODES = ("full", "same", "valid")


def _correlate(x: Tensor, k: Tensor, mode: str, ndim: int, same_from_end: bool = False) -> Tensor:
    x, k = torch.as_tensor(x), torch.as_tensor(k)
    dtype = torch.promote_types(x.dtype, k.dtype)
    dtype = dtype if dtype.is_floating_point else torch.float64
    x, k = x.to(dtype), k.to(dtype)
    expect(x.dim() == ndim, "x", f"a {ndim}-D signal", tuple(x.shape))
    expect(k.dim() == ndim, "kernel", f"a {ndim}-D kernel", tuple(k.shape))
    expect(mode in _MODES, "mode", f"one of {_MODES}", mode)
    if mode == "valid":
        expect(all(a >= b for a, b in zip(x.shape, k.shape)), "kernel", f"no larger than x {tuple(x.shape)} in 'valid' mode",
               tuple(k.shape))
    pad = [s - 1 for s in k.shape]                                  # 'full': K-1 zeros on both sides
    xp = x[None, None]
    if mode != "valid":
        flat = [p for s in reversed(pad) for p in (s, s)]
        xp = F.pad(xp, flat)
    y = conv_nd(xp, k[None, None])[0, 0]                            # cross-correlation
    if mode == "same":                                              # the centre of 'full', like scipy
        starts = [s // 2 if same_from_end else (s - 1) // 2 for s in k.shape]   # they differ for even K
        y = y[tuple(slice(st, st + n) for st, n in zip(starts, x.shape))]
    return y


@syllabus("cnn.convolution_vs_correlation")
def correlate1d(x, kernel, mode: str = "full") -> Tensor:
    """sum_u x[n + u] k[u] (scipy.signal.correlate's modes)."""
    return _correlate(x, kernel, mode, 1)


@syllabus("cnn.convolution_vs_correlation")
def convolve1d(x, kernel, mode: str = "full") -> Tensor:
    """sum_u x[n - u] k[u]: correlation with the flipped kernel (scipy.signal.convolve's modes)."""
    return _correlate(x, torch.as_tensor(kernel).flip(0), mode, 1)


@syllabus("cnn.convolution_vs_correlation")
def correlate2d(x, kernel, mode: str = "full") -> Tensor:
    """2-D cross-correlation (scipy.signal.correlate2d with zero fill)."""
    return _correlate(x, kernel, mode, 2, same_from_end=True)


@syllabus("cnn.convolution_vs_correlation")
def convolve2d(x, kernel, mode: str = "full") -> Tensor:
    """2-D convolution: the kernel flipped on both axes (scipy.signal.convolve2d with zero fill)."""
    return _correlate(x, torch.as_tensor(kernel).flip(0, 1), mode, 2)


def circular_convolve(x, kernel) -> Tensor:
    """Periodic convolution of equal-shape signals (1-D or 2-D): y[n] = sum_m x[m] k[(n - m) mod N]."""
    x, k = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(kernel, dtype=torch.float64)
    expect(x.shape == k.shape and x.dim() in (1, 2), "kernel", f"the shape of x {tuple(x.shape)} (1-D or 2-D)",
           tuple(k.shape))
    # wrap x around so a 'valid' correlation with the flipped kernel sees every cyclic shift
    if x.dim() == 1:
        xp = torch.cat([x[1:], x])                                  # (2N - 1,)
        return _correlate(xp, k.flip(0), "valid", 1)
    xp = torch.cat([x[1:], x], 0)
    xp = torch.cat([xp[:, 1:], xp], 1)                              # (2H - 1, 2W - 1)
    return _correlate(xp, k.flip(0, 1), "valid", 2)
