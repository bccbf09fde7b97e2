"""Gaussian pyramid against skimage.transform.pyramid_gaussian."""
import numpy as np
import pytest
from skimage import data
from skimage.transform import pyramid_gaussian

from deepnotes.vision import gaussian_pyramid, scale_space


@pytest.mark.syllabus("vision.gaussian_pyramid")
def test_pyramid_equals_skimage_and_halves():
    cam = data.camera()
    ours = gaussian_pyramid(cam, max_layer=5)
    ref = list(pyramid_gaussian(cam, max_layer=5, downscale=2))
    assert len(ours) == len(ref) == 6
    for l, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.shape == (512 // 2 ** l, 512 // 2 ** l)
        np.testing.assert_allclose(a.numpy(), b, atol=1e-6)
    odd = np.random.default_rng(0).random((45, 30))
    for a, b in zip(gaussian_pyramid(odd), pyramid_gaussian(odd, downscale=2)):
        np.testing.assert_allclose(a.numpy(), b, atol=1e-6)
    ss = scale_space(odd, [1, 2, 4])
    assert ss.shape == (3, 45, 30) and ss[2].var() < ss[0].var()
