"""Classical linear image filters: box, Gaussian, derivative/Sobel, Laplacian, derivative of
Gaussian, sharpen, emboss, matched filter.

Syllabus: cnn.box_filter, cnn.gaussian_filter, cnn.derivative_filters, cnn.derivative_of_gaussian,
cnn.sharpen_emboss. Notes: 001 S9.03, S9.13-S9.17, S9.20-S9.26, S11.01, S13.32.

Filtering = cross-correlation of the image with a small kernel, borders filled by a padding mode
(scipy.ndimage's names: 'reflect' = d c b a | a b c d, 'mirror' = d c b | a b c d, 'nearest',
'wrap', 'constant'):

    box            k x k of 1/k^2: a local mean (blurs, denoises, keeps constants)
    Gaussian       G(x, y) = exp(-(x^2 + y^2) / (2 sigma^2)) / Z, Z = the sum; 001's 5x5 sigma=1 table
                   is the UNnormalised kernel (its entries sum to about 6.169)
    derivative     [-1, 0, 1]; Sobel Gx = [[-1,0,1],[-2,0,2],[-1,0,1]] responds to horizontal
                   intensity change, i.e. VERTICAL edges (001 says it detects edges horizontally),
                   Gy = Gx^T; magnitude sqrt(Gx^2 + Gy^2), orientation atan2(Gy, Gx)
    DoG            G'(x) = -(x / sigma^2) G(x): d/dx (G * f) = G' * f, smoothing and differentiating
                   in one filter (fewer spurious edges than Sobel on a noisy image)
    Laplacian      [[0,1,0],[1,-4,1],[0,1,0]]
    sharpen        [[0,-1,0],[-1,5,-1],[0,-1,0]] = identity - Laplacian (sums to 1)
    emboss         [[-2,-1,0],[-1,1,1],[0,1,2]] (sums to 1)
    matched        correlate with the zero-mean template: the response peaks where the template is
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus
from ..nn.conv import conv_nd

__all__ = ["pad_image", "filter2d", "box_kernel", "gaussian_kernel", "gaussian_kernel1d", "derivative_kernel",
           "sobel_kernels", "laplacian_kernel", "sharpen_kernel", "emboss_kernel", "derivative_of_gaussian_kernel",
           "box_filter", "gaussian_filter", "sobel", "gradient_magnitude_orientation", "laplacian_filter",
           "sharpen", "emboss", "matched_filter"]

PAD_MODES = ("reflect", "mirror", "nearest", "wrap", "constant")


def _image(image) -> Tensor:
    x = torch.as_tensor(image)
    x = x.to(torch.float64) if not x.is_floating_point() else x
    expect(x.dim() == 2, "image", "a 2-D (H, W) grey image", tuple(x.shape))
    return x


def _index(n: int, before: int, after: int, mode: str) -> Tensor:
    i = torch.arange(-before, n + after)
    if mode == "nearest":
        return i.clamp(0, n - 1)
    if mode == "wrap":
        return i % n
    if mode == "reflect":
        m = i % (2 * n)
        return torch.where(m >= n, 2 * n - 1 - m, m)
    if n == 1:                                                      # mirror of a single pixel
        return torch.zeros_like(i)
    m = i % (2 * n - 2)
    return torch.where(m >= n, 2 * n - 2 - m, m)


def pad_image(image: Tensor, top: int, bottom: int, left: int, right: int, mode: str = "reflect",
              cval: float = 0.0) -> Tensor:
    """Pad the last two axes with one of scipy.ndimage's border modes."""
    expect(mode in PAD_MODES, "mode", f"one of {PAD_MODES}", mode)
    H, W = image.shape[-2:]
    if mode == "constant":
        out = image.new_full((*image.shape[:-2], H + top + bottom, W + left + right), cval)
        out[..., top:top + H, left:left + W] = image
        return out
    rows, cols = _index(H, top, bottom, mode), _index(W, left, right, mode)
    return image[..., rows, :][..., cols]


def filter2d(image, kernel, mode: str = "reflect", cval: float = 0.0) -> Tensor:
    """Cross-correlate a (H, W) image with a kernel centred at (kh // 2, kw // 2); output (H, W).

    Equal to scipy.ndimage.correlate(image, kernel, mode=mode, cval=cval).
    """
    x = _image(image)
    k = torch.as_tensor(kernel, dtype=x.dtype)
    expect(k.dim() == 2, "kernel", "a 2-D kernel", tuple(k.shape))
    kh, kw = k.shape
    xp = pad_image(x, kh // 2, kh - 1 - kh // 2, kw // 2, kw - 1 - kw // 2, mode, cval)
    return conv_nd(xp[None, None], k[None, None])[0, 0]              # (H, W)


def box_kernel(size: int) -> Tensor:
    expect(size >= 1, "size", "a positive int", size)
    return torch.full((size, size), 1.0 / size ** 2, dtype=torch.float64)


def gaussian_kernel1d(sigma: float, radius: int, normalize: bool = True) -> Tensor:
    expect(sigma > 0, "sigma", "a positive float", sigma)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum() if normalize else g


@syllabus("cnn.gaussian_filter")
def gaussian_kernel(size: int = 5, sigma: float = 1.0, normalize: bool = True) -> Tensor:
    """size x size samples of exp(-(x^2 + y^2) / (2 sigma^2)), centred; divided by their sum if ``normalize``."""
    expect(size >= 1 and size % 2 == 1, "size", "a positive odd int", size)
    g = gaussian_kernel1d(sigma, size // 2, normalize=False)
    k = g[:, None] * g[None, :]
    return k / k.sum() if normalize else k


def derivative_kernel() -> Tensor:
    return torch.tensor([[-1.0, 0.0, 1.0]], dtype=torch.float64)


def sobel_kernels() -> tuple[Tensor, Tensor]:
    """(Gx, Gy): Gx responds to change along x (columns), Gy = Gx^T along y (rows)."""
    gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=torch.float64)
    return gx, gx.T.contiguous()


def laplacian_kernel() -> Tensor:
    return torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)


@syllabus("cnn.sharpen_emboss")
def sharpen_kernel() -> Tensor:
    return torch.tensor([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]], dtype=torch.float64)


@syllabus("cnn.sharpen_emboss")
def emboss_kernel() -> Tensor:
    return torch.tensor([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]], dtype=torch.float64)


@syllabus("cnn.derivative_of_gaussian")
def derivative_of_gaussian_kernel(sigma: float = 1.0, radius: int | None = None) -> Tensor:
    """Samples of G'(x) = -(x / sigma^2) G(x), G the normalised Gaussian (1-D)."""
    radius = int(4 * sigma + 0.5) if radius is None else radius
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-x ** 2 / (2 * sigma ** 2)) / (math.sqrt(2 * math.pi) * sigma)
    return -x / sigma ** 2 * g


@syllabus("cnn.box_filter")
def box_filter(image, size: int = 3, mode: str = "constant", cval: float = 0.0) -> Tensor:
    """Local mean over size x size windows (scipy.ndimage.uniform_filter for odd sizes)."""
    return filter2d(image, box_kernel(size), mode, cval)


@syllabus("cnn.gaussian_filter")
def gaussian_filter(image, sigma: float = 1.0, truncate: float = 4.0, mode: str = "reflect", cval: float = 0.0) -> Tensor:
    """Separable Gaussian blur with radius int(truncate * sigma + 0.5) (scipy.ndimage.gaussian_filter)."""
    g = gaussian_kernel1d(sigma, int(truncate * sigma + 0.5))
    return filter2d(filter2d(image, g[None, :], mode, cval), g[:, None], mode, cval)


@syllabus("cnn.derivative_filters")
def sobel(image, axis: int = -1, mode: str = "reflect", cval: float = 0.0) -> Tensor:
    """Sobel response along ``axis`` (-1: x / columns -> vertical edges; -2: y / rows)."""
    expect(axis in (-1, -2, 0, 1), "axis", "-1/1 (x) or -2/0 (y)", axis)
    gx, gy = sobel_kernels()
    return filter2d(image, gx if axis in (-1, 1) else gy, mode, cval)


@syllabus("cnn.derivative_filters")
def gradient_magnitude_orientation(image, smooth_sigma: float | None = None, mode: str = "reflect") -> tuple[Tensor, Tensor]:
    """(sqrt(Gx^2 + Gy^2), atan2(Gy, Gx)) of the Sobel responses, optionally after Gaussian smoothing."""
    x = _image(image)
    if smooth_sigma:
        x = gaussian_filter(x, smooth_sigma, mode=mode)
    gx, gy = sobel(x, -1, mode), sobel(x, -2, mode)
    return torch.sqrt(gx ** 2 + gy ** 2), torch.atan2(gy, gx)


def laplacian_filter(image, mode: str = "reflect") -> Tensor:
    return filter2d(image, laplacian_kernel(), mode)


def sharpen(image, mode: str = "reflect") -> Tensor:
    return filter2d(image, sharpen_kernel(), mode)


def emboss(image, mode: str = "reflect") -> Tensor:
    return filter2d(image, emboss_kernel(), mode)


def matched_filter(image, template, mode: str = "constant") -> Tensor:
    """Correlate with the zero-mean template: large where the image looks like the template."""
    t = torch.as_tensor(template, dtype=torch.float64)
    expect(t.dim() == 2, "template", "a 2-D template", tuple(t.shape))
    return filter2d(image, t - t.mean(), mode)
