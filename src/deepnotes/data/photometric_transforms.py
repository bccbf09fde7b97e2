"""Colour (photometric) data augmentation in torch: brightness, contrast, saturation, hue, noise.

Syllabus: training.photometric_augmentation. Notes: 001 S8.12-S8.14; 003 L0.23.

For an RGB image x in [0, 1] (brightness, contrast and noise also take one-channel images, whose
grey is the image itself), with factors drawn per example:

    brightness  x' = clip(b x)                                    b = 1 is the identity
    contrast    x' = clip(c x + (1 - c) mean(gray(x)))            gray = 0.299 R + 0.587 G + 0.114 B
    saturation  x' = clip(a x + (1 - a) gray(x))
    hue         (h, s, v) = hsv(x);  x' = rgb((h + d) mod 1, s, v)  d in [-1/2, 1/2]; d = 0 is the identity
    noise       x' = x + sigma n,  n ~ N(0, I)                    (optionally clipped to [0, 1])

These are torchvision's definitions (ColorJitter draws b, c, a from [max(0, 1 - j), 1 + j] and
d from [-j, j]); here the order is fixed: brightness, contrast, saturation, hue.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "rgb_to_hsv", "hsv_to_rgb",
           "ColorJitter", "AddGaussianNoise"]

_GRAY = (0.299, 0.587, 0.114)


def _factor(f: float | torch.Tensor, img: torch.Tensor) -> torch.Tensor:
    """A scalar or per-example (B,) factor, broadcastable against img (..., C, H, W)."""
    f = torch.as_tensor(f, dtype=img.dtype)
    return f.reshape(-1, 1, 1, 1) if (f.ndim == 1 and img.ndim == 4) else f


def _rgb(img: torch.Tensor) -> None:
    expect(img.ndim in (3, 4) and img.shape[-3] == 3, "img", "an RGB (3, H, W) or (B, 3, H, W) tensor",
           tuple(img.shape))


def _gray(img: torch.Tensor) -> torch.Tensor:
    """Luma (..., 1, H, W) of an RGB image; a one-channel image is its own grey."""
    if img.shape[-3] == 1:
        return img
    _rgb(img)
    r, g, b = img.unbind(-3)
    return (_GRAY[0] * r + _GRAY[1] * g + _GRAY[2] * b).unsqueeze(-3)               # (..., 1, H, W)


def adjust_brightness(img: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    return (img * _factor(factor, img)).clamp(0, 1)


def adjust_contrast(img: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    """Blend with the mean grey level (RGB or one-channel images)."""
    mean = _gray(img).mean((-3, -2, -1), keepdim=True)                               # (..., 1, 1, 1)
    c = _factor(factor, img)
    return (c * img + (1 - c) * mean).clamp(0, 1)


def adjust_saturation(img: torch.Tensor, factor: float | torch.Tensor) -> torch.Tensor:
    _rgb(img)
    a = _factor(factor, img)
    return (a * img + (1 - a) * _gray(img)).clamp(0, 1)


def rgb_to_hsv(img: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] -> (h, s, v) in [0, 1] along the channel dimension."""
    _rgb(img)
    r, g, b = img.unbind(-3)
    maxc, minc = img.max(-3).values, img.min(-3).values
    delta = maxc - minc
    s = torch.where(maxc > 0, delta / maxc.clamp_min(1e-12), torch.zeros_like(maxc))
    d = delta.clamp_min(1e-12)
    h = torch.where(maxc == r, ((g - b) / d) % 6, torch.where(maxc == g, (b - r) / d + 2, (r - g) / d + 4))
    h = torch.where(delta > 0, h / 6, torch.zeros_like(h)) % 1.0
    return torch.stack([h, s, maxc], -3)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    h, s, v = hsv.unbind(-3)
    h6 = (h % 1.0) * 6
    i = h6.floor()
    f = h6 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.long() % 6
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [torch.zeros_like(v) for _ in range(3)]
    for k, (rr, gg, bb) in enumerate(choices):
        m = i == k
        for ch, val in zip(out, (rr, gg, bb)):
            ch.copy_(torch.where(m, val, ch))
    return torch.stack(out, -3)


def adjust_hue(img: torch.Tensor, shift: float | torch.Tensor) -> torch.Tensor:
    """Rotate the hue by ``shift`` turns, in [-0.5, 0.5]."""
    shift_t = torch.as_tensor(shift, dtype=img.dtype)
    expect(bool((shift_t.abs() <= 0.5).all()), "shift", "hue shifts in [-0.5, 0.5]", shift)
    hsv = rgb_to_hsv(img)
    h = (hsv.narrow(-3, 0, 1) + _factor(shift_t, img)) % 1.0
    return hsv_to_rgb(torch.cat([h, hsv.narrow(-3, 1, 2)], -3))


def _range(value: float, name: str, centre: float, bound: float | None) -> tuple[float, float]:
    expect(value >= 0 and (bound is None or value <= bound), name,
           f"a non-negative jitter{'' if bound is None else f' at most {bound}'}", value)
    return (max(0.0, centre - value), centre + value) if centre else (-value, value)


@syllabus("training.photometric_augmentation")
class ColorJitter:
    """Random brightness, contrast, saturation (factors in [max(0, 1 - j), 1 + j]) and hue (shift
    in [-j, j]), drawn per example from ``generator``."""

    def __init__(self, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0,
                 hue: float = 0.0, generator: torch.Generator | None = None):
        self.ranges = {"brightness": _range(brightness, "brightness", 1.0, None),
                       "contrast": _range(contrast, "contrast", 1.0, None),
                       "saturation": _range(saturation, "saturation", 1.0, None),
                       "hue": _range(hue, "hue", 0.0, 0.5)}
        self.generator = generator

    def sample_params(self, n: int) -> dict[str, torch.Tensor]:
        """Per-example factors (n,) for each adjustment."""
        return {k: lo + (hi - lo) * torch.rand(n, generator=self.generator, dtype=torch.float64)
                for k, (lo, hi) in self.ranges.items()}

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        single = img.ndim == 3
        x = img.unsqueeze(0) if single else img
        prm = {k: v.to(x.dtype) for k, v in self.sample_params(len(x)).items()}
        if self.ranges["brightness"] != (1.0, 1.0):
            x = adjust_brightness(x, prm["brightness"])
        if self.ranges["contrast"] != (1.0, 1.0):
            x = adjust_contrast(x, prm["contrast"])
        if self.ranges["saturation"] != (1.0, 1.0):
            x = adjust_saturation(x, prm["saturation"])
        if self.ranges["hue"] != (0.0, 0.0):
            x = adjust_hue(x, prm["hue"])
        return x[0] if single else x


@syllabus("training.photometric_augmentation")
class AddGaussianNoise:
    """x + std * N(0, I) from ``generator``; clipped to [0, 1] when ``clip``."""

    def __init__(self, std: float = 0.05, clip: bool = True, generator: torch.Generator | None = None):
        expect(std >= 0, "std", "a non-negative float", std)
        self.std, self.clip, self.generator = std, clip, generator

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        noise = torch.randn(img.shape, generator=self.generator, dtype=img.dtype)
        out = img + self.std * noise
        return out.clamp(0, 1) if self.clip else out
