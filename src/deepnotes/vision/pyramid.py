"""Gaussian image pyramid and Gaussian scale space.

Syllabus: vision.gaussian_pyramid. Notes: 001 S13.32, S13.33.

Pyramid: level 0 is the image; level l+1 blurs level l with a Gaussian of sigma = 2 d / 6 (d the
downscale factor, 2) and resamples it to ceil(size / d) with bilinear interpolation (for an exact
halving this averages 2x2 blocks). The shapes halve at each level: objects of every size meet a
fixed-size detector window at some level. Scale space keeps the resolution and blurs with
increasing sigma instead. Same numbers as skimage.transform.pyramid_gaussian.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..core import expect, syllabus
from .filters import gaussian_filter

__all__ = ["gaussian_pyramid", "scale_space", "pyramid_reduce"]


def pyramid_reduce(image: Tensor, downscale: float = 2.0, sigma: float | None = None) -> Tensor:
    """Blur then resample a (H, W) image to ceil(H / d) x ceil(W / d)."""
    sigma = 2 * downscale / 6.0 if sigma is None else sigma
    blurred = gaussian_filter(image, sigma, mode="reflect")
    H, W = image.shape
    size = (math.ceil(H / downscale), math.ceil(W / downscale))
    return F.interpolate(blurred[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]


@syllabus("vision.gaussian_pyramid")
def gaussian_pyramid(image, max_layer: int = -1, downscale: float = 2.0, sigma: float | None = None) -> list[Tensor]:
    """[image, reduce(image), reduce(reduce(image)), ...] until the size stops changing (or max_layer)."""
    x = torch.as_tensor(image)
    x = x.to(torch.float64) if x.is_floating_point() else x.to(torch.float64) / 255.0
    expect(x.dim() == 2, "image", "a 2-D (H, W) grey image", tuple(x.shape))
    expect(downscale > 1, "downscale", "a factor > 1", downscale)
    levels = [x]
    while max_layer < 0 or len(levels) <= max_layer:
        nxt = pyramid_reduce(levels[-1], downscale, sigma)
        if nxt.shape == levels[-1].shape:
            break
        levels.append(nxt)
    return levels


@syllabus("vision.gaussian_pyramid")
def scale_space(image, sigmas: list[float]) -> Tensor:
    """(len(sigmas), H, W): the image blurred with each sigma, at full resolution."""
    x = torch.as_tensor(image, dtype=torch.float64)
    return torch.stack([gaussian_filter(x, s) for s in sigmas])
