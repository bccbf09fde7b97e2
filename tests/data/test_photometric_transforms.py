"""Photometric augmentation against PIL's ImageEnhance and scikit-image's HSV, identities, ranges."""
import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance
from skimage import color
from skimage import data as skdata

from deepnotes.data import (AddGaussianNoise, ColorJitter, adjust_brightness, adjust_contrast, adjust_hue,
                            adjust_saturation)


@pytest.fixture(scope="module")
def astronaut():
    u8 = skdata.astronaut()[::4, ::4].copy()                                  # (128, 128, 3) uint8
    return u8, torch.tensor(u8 / 255.0).permute(2, 0, 1)                       # (3, 128, 128) float64


def _pil(u8, enhancer, factor):
    return np.asarray(enhancer(Image.fromarray(u8)).enhance(factor)).astype(float)


@pytest.mark.syllabus("training.photometric_augmentation")
@pytest.mark.parametrize("fn,enhancer", [(adjust_brightness, ImageEnhance.Brightness),
                                         (adjust_contrast, ImageEnhance.Contrast),
                                         (adjust_saturation, ImageEnhance.Color)])
@pytest.mark.parametrize("factor", [0.4, 1.6])
def test_adjustments_equal_pil(astronaut, fn, enhancer, factor):
    u8, x = astronaut
    ours = fn(x, factor).permute(1, 2, 0).numpy() * 255
    ref = _pil(u8, enhancer, factor)
    # PIL works in uint8 (rounded grey levels and a rounded mean), so allow two grey levels
    assert np.abs(ours - ref).max() <= 2.0
    assert np.abs(ours - ref).mean() < 0.6


@pytest.mark.syllabus("training.photometric_augmentation")
@pytest.mark.parametrize("shift", [0.1, -0.3, 0.5])
def test_hue_equals_skimage_hsv(astronaut, shift):
    _, x = astronaut
    hsv = color.rgb2hsv(x.permute(1, 2, 0).numpy())
    hsv[..., 0] = (hsv[..., 0] + shift) % 1.0
    ref = color.hsv2rgb(hsv)
    np.testing.assert_allclose(adjust_hue(x, shift).permute(1, 2, 0).numpy(), ref, atol=1e-5)


def test_one_channel_contrast_and_rgb_checks():
    g = torch.rand(2, 1, 5, 5, dtype=torch.float64)
    out = adjust_contrast(g, 0.5)
    assert torch.allclose(out, 0.5 * g + 0.5 * g.mean((1, 2, 3), keepdim=True))
    with pytest.raises(ValueError, match="img"):
        adjust_hue(g, 0.1)


@pytest.mark.syllabus("training.photometric_augmentation")
def test_identities(astronaut):
    _, x = astronaut
    assert torch.equal(adjust_brightness(x, 1.0), x)
    assert torch.allclose(adjust_hue(x, 0.0), x, atol=1e-12)
    assert torch.allclose(adjust_contrast(x, 1.0), x, atol=1e-12)
    assert torch.equal(ColorJitter(generator=torch.Generator())(x), x)


@pytest.mark.syllabus("training.photometric_augmentation")
def test_jitter_ranges_respected():
    j = ColorJitter(brightness=0.3, contrast=0.2, saturation=0.1, hue=0.05, generator=torch.Generator().manual_seed(0))
    p = j.sample_params(20000)
    for k, (lo, hi) in {"brightness": (0.7, 1.3), "contrast": (0.8, 1.2), "saturation": (0.9, 1.1),
                        "hue": (-0.05, 0.05)}.items():
        assert p[k].min() >= lo and p[k].max() <= hi
        assert p[k].min() < lo + 0.01 * (hi - lo) and p[k].max() > hi - 0.01 * (hi - lo)
    # applied brightness factors stay in range: a dim image (no clipping) is scaled by b in [0.7, 1.3]
    dim = 0.1 + 0.3 * torch.rand(64, 3, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out = ColorJitter(brightness=0.3, generator=torch.Generator().manual_seed(2))(dim)
    ratio = out / dim
    assert torch.allclose(ratio, ratio[:, :1, :1, :1].expand_as(ratio), atol=1e-12)
    assert ratio.min() >= 0.7 - 1e-12 and ratio.max() <= 1.3 + 1e-12
    with pytest.raises(ValueError, match="hue"):
        ColorJitter(hue=0.6)
    with pytest.raises(ValueError, match="brightness"):
        ColorJitter(brightness=-1)


@pytest.mark.syllabus("training.photometric_augmentation")
def test_gaussian_noise_statistics_and_seed():
    x = torch.full((20000,), 0.5, dtype=torch.float64)
    a = AddGaussianNoise(0.1, clip=False, generator=torch.Generator().manual_seed(0))(x)
    b = AddGaussianNoise(0.1, clip=False, generator=torch.Generator().manual_seed(0))(x)
    assert torch.equal(a, b)
    assert abs((a - x).mean()) < 4 * 0.1 / 20000 ** 0.5 and abs((a - x).std() - 0.1) < 0.005
    c = AddGaussianNoise(1.0, generator=torch.Generator().manual_seed(0))(x)
    assert c.min() >= 0 and c.max() <= 1
