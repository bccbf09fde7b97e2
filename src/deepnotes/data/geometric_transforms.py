"""Geometric data augmentation in torch: flips, random crop with padding, random affine.

Syllabus: training.geometric_augmentation. Notes: 000 L2.10; 001 S8.07-S8.11; 002 §5.1l; 003 L0.23.

Label-preserving changes of position and zoom, applied on the fly (a fresh draw per example per epoch,
from a seeded ``generator``). Images are (C, H, W) or batches (B, C, H, W), each example drawn
independently. The affine warp maps each output pixel p (pixel coordinates about the image
centre, y pointing down) back to the input point it samples, by bilinear interpolation:

    q = (R(theta) S(s))^-1 (p - t),   R(theta) = [[cos, sin], [-sin, cos]]  (counter-clockwise on
                                                                            screen, as torchvision)

so the content is rotated by theta degrees counter-clockwise, scaled by s and shifted by
t = (tx, ty) pixels; samples from outside the image are ``fill``. Built on ``F.affine_grid`` /
``F.grid_sample`` with align_corners=False, so a 90 degree turn equals ``torch.rot90``. The zoom
crop cuts a random window (area fraction and aspect ratio drawn) and resizes it bilinearly.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["hflip", "vflip", "affine", "rotate", "resized_crop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomCrop", "RandomResizedCrop", "RandomAffine"]


def _batched(img: torch.Tensor, name: str = "img") -> tuple[torch.Tensor, bool]:
    expect(img.ndim in (3, 4), name, "a (C, H, W) image or a (B, C, H, W) batch", tuple(img.shape))
    return (img, False) if img.ndim == 4 else (img.unsqueeze(0), True)


def hflip(img: torch.Tensor) -> torch.Tensor:
    """Mirror left-right (the last dimension)."""
    return img.flip(-1)


def vflip(img: torch.Tensor) -> torch.Tensor:
    """Mirror top-bottom."""
    return img.flip(-2)


def affine(img: torch.Tensor, angle: float | torch.Tensor = 0.0, translate: Sequence[float] | torch.Tensor = (0.0, 0.0),
           scale: float | torch.Tensor = 1.0, fill: float = 0.0, mode: str = "bilinear") -> torch.Tensor:
    """Rotate by ``angle`` degrees (counter-clockwise), scale by ``scale``, then shift by ``translate``
    = (tx, ty) pixels. Parameters are scalars or per-example tensors (B,), (B, 2), (B,)."""
    x, single = _batched(img)
    b, c, h, w = x.shape
    dtype = x.dtype if x.is_floating_point() else torch.float32
    a = torch.as_tensor(angle, dtype=torch.float64).reshape(-1).expand(b) * (math.pi / 180)   # (B,)
    s = torch.as_tensor(scale, dtype=torch.float64).reshape(-1).expand(b)                     # (B,)
    t = torch.as_tensor(translate, dtype=torch.float64).reshape(-1, 2).expand(b, 2)           # (B, 2)
    expect(bool((s > 0).all()), "scale", "positive factors", scale)
    cos, sin = a.cos(), a.sin()
    # inverse of R(a) S(s): (1/s) [[cos, -sin], [sin, cos]]
    inv = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2) / s[:, None, None]  # (B, 2, 2)
    norm = torch.tensor([2.0 / w, 2.0 / h], dtype=torch.float64)                             # pixels -> [-1, 1]
    lin = norm[:, None] * inv / norm[None, :]                                                 # N A N^-1
    shift = -(norm * (inv @ t[..., None]).squeeze(-1))                                        # -N A t
    theta = torch.cat([lin, shift[..., None]], -1).to(dtype)                                  # (B, 2, 3)
    grid = F.affine_grid(theta, [b, c, h, w], align_corners=False)                            # (B, H, W, 2)
    xf = x.to(dtype)
    if fill == 0:
        out = F.grid_sample(xf, grid, mode=mode, padding_mode="zeros", align_corners=False)
    else:  # sample a mask of ones too, and fill where the sample fell outside
        ones = torch.ones_like(xf[:, :1])
        out = F.grid_sample(torch.cat([xf, ones], 1), grid, mode=mode, padding_mode="zeros", align_corners=False)
        out, inside = out[:, :c], out[:, c:]
        out = out + (1 - inside) * fill
    out = out.to(img.dtype) if img.is_floating_point() else out.round().to(img.dtype)
    return out[0] if single else out


def rotate(img: torch.Tensor, angle: float, fill: float = 0.0, mode: str = "bilinear") -> torch.Tensor:
    """Rotate about the centre by ``angle`` degrees counter-clockwise."""
    return affine(img, angle=angle, fill=fill, mode=mode)


def resized_crop(img: torch.Tensor, top: int, left: int, height: int, width: int,
                 size: tuple[int, int]) -> torch.Tensor:
    """Cut rows top..top+height-1 and columns left..left+width-1, then resize bilinearly to ``size``."""
    x, single = _batched(img)
    h, w = x.shape[-2:]
    expect(0 <= top and 0 <= left and height >= 1 and width >= 1 and top + height <= h and left + width <= w,
           "top/left/height/width", f"a window inside the {h}x{w} image", (top, left, height, width))
    crop = x[..., top:top + height, left:left + width]                              # (B, C, height, width)
    dtype = crop.dtype if crop.is_floating_point() else torch.float32
    out = F.interpolate(crop.to(dtype), size=tuple(size), mode="bilinear", align_corners=False)  # (B, C, *size)
    out = out.to(img.dtype) if img.is_floating_point() else out.round().to(img.dtype)
    return out[0] if single else out


class _Random:
    def __init__(self, generator: torch.Generator | None):
        self.generator = generator

    def _rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=self.generator)

    def _uniform(self, n: int, lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * self._rand(n).double()


def _check_p(p: float) -> None:
    expect(0.0 <= p <= 1.0, "p", "a probability in [0, 1]", p)


@syllabus("training.geometric_augmentation")
class RandomHorizontalFlip(_Random):
    """Mirror each example left-right with probability ``p``."""

    def __init__(self, p: float = 0.5, generator: torch.Generator | None = None):
        _check_p(p)
        super().__init__(generator)
        self.p = p

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        x, single = _batched(img)
        flip = (self._rand(len(x)) < self.p).view(-1, 1, 1, 1)                       # (B, 1, 1, 1)
        out = torch.where(flip, x.flip(-1), x)
        return out[0] if single else out


@syllabus("training.geometric_augmentation")
class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each example top-bottom with probability ``p``."""

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        return super().__call__(img.transpose(-1, -2)).transpose(-1, -2)


@syllabus("training.geometric_augmentation")
class RandomCrop(_Random):
    """Pad by ``padding`` pixels with ``fill``, then cut a random ``size`` window (CIFAR-style shifts)."""

    def __init__(self, size: int | tuple[int, int], padding: int = 0, fill: float = 0.0,
                 generator: torch.Generator | None = None):
        super().__init__(generator)
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        expect(len(self.size) == 2 and min(self.size) > 0, "size", "a positive int or (h, w)", size)
        expect(isinstance(padding, int) and padding >= 0, "padding", "a non-negative int", padding)
        self.padding, self.fill = padding, fill

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        x, single = _batched(img)
        p = self.padding
        x = F.pad(x, (p, p, p, p), value=self.fill) if p else x                       # (B, C, H+2p, W+2p)
        b, c, h, w = x.shape
        th, tw = self.size
        expect(th <= h and tw <= w, "size", f"at most the padded image size {(h, w)}", self.size)
        i = torch.randint(h - th + 1, (b,), generator=self.generator)                 # (B,) top rows
        j = torch.randint(w - tw + 1, (b,), generator=self.generator)                 # (B,) left columns
        rows = (i[:, None] + torch.arange(th))[:, :, None]                             # (B, th, 1)
        cols = (j[:, None] + torch.arange(tw))[:, None, :]                             # (B, 1, tw)
        out = x[torch.arange(b)[:, None, None], :, rows, cols]                         # (B, th, tw, C)
        out = out.permute(0, 3, 1, 2)                                                  # (B, C, th, tw)
        return out[0] if single else out


@syllabus("training.geometric_augmentation")
class RandomResizedCrop(_Random):
    """Zoom: cut a window of random area fraction in ``scale`` and aspect ratio (w/h, log-uniform) in
    ``ratio``, resize it to ``size`` (the Inception-style crop). Falls back to the whole image after 10 tries."""

    def __init__(self, size: int | tuple[int, int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3 / 4, 4 / 3), generator: torch.Generator | None = None):
        super().__init__(generator)
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        expect(len(self.size) == 2 and min(self.size) > 0, "size", "a positive int or (h, w)", size)
        expect(0 < scale[0] <= scale[1] <= 1, "scale", "(lo, hi) with 0 < lo <= hi <= 1", scale)
        expect(0 < ratio[0] <= ratio[1], "ratio", "(lo, hi) with 0 < lo <= hi", ratio)
        self.scale, self.ratio = scale, ratio

    def sample_window(self, h: int, w: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) of one random window."""
        for _ in range(10):
            area = h * w * float(self._uniform(1, *self.scale))
            r = math.exp(float(self._uniform(1, math.log(self.ratio[0]), math.log(self.ratio[1]))))
            cw, ch = round(math.sqrt(area * r)), round(math.sqrt(area / r))
            if 0 < cw <= w and 0 < ch <= h:
                top = int(torch.randint(h - ch + 1, (1,), generator=self.generator))
                left = int(torch.randint(w - cw + 1, (1,), generator=self.generator))
                return top, left, ch, cw
        return 0, 0, h, w

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        x, single = _batched(img)
        out = torch.stack([resized_crop(xi, *self.sample_window(*x.shape[-2:]), self.size) for xi in x])
        return out[0] if single else out


@syllabus("training.geometric_augmentation")
class RandomAffine(_Random):
    """Random rotation in [-degrees, degrees], shift up to ``translate`` = (fx, fy) of the width /
    height, zoom in ``scale`` = (lo, hi); one draw per example."""

    def __init__(self, degrees: float = 0.0, translate: tuple[float, float] | None = None,
                 scale: tuple[float, float] | None = None, fill: float = 0.0,
                 generator: torch.Generator | None = None):
        super().__init__(generator)
        expect(degrees >= 0, "degrees", "a non-negative angle", degrees)
        expect(translate is None or (len(translate) == 2 and all(0 <= f <= 1 for f in translate)), "translate",
               "None or (fx, fy) fractions in [0, 1]", translate)
        expect(scale is None or (len(scale) == 2 and 0 < scale[0] <= scale[1]), "scale",
               "None or (lo, hi) with 0 < lo <= hi", scale)
        self.degrees, self.translate, self.scale, self.fill = degrees, translate, scale, fill

    def sample_params(self, n: int, height: int, width: int) -> dict[str, torch.Tensor]:
        """Per-example angles (n,), translations (n, 2) in pixels and scales (n,)."""
        angle = self._uniform(n, -self.degrees, self.degrees)
        if self.translate is not None:
            fx, fy = self.translate
            t = torch.stack([self._uniform(n, -fx * width, fx * width),
                             self._uniform(n, -fy * height, fy * height)], 1).round()
        else:
            t = torch.zeros(n, 2, dtype=torch.float64)
        s = self._uniform(n, *self.scale) if self.scale is not None else torch.ones(n, dtype=torch.float64)
        return {"angle": angle, "translate": t, "scale": s}

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        x, single = _batched(img)
        prm = self.sample_params(len(x), x.shape[-2], x.shape[-1])
        out = affine(x, prm["angle"], prm["translate"], prm["scale"], fill=self.fill)
        return out[0] if single else out
