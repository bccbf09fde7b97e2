"""Convolution vs correlation against scipy.signal, and the algebra of convolution."""
import numpy as np
import pytest
import scipy.signal as ss
import torch

from deepnotes.vision import circular_convolve, convolve1d, convolve2d, correlate1d, correlate2d

rng = np.random.default_rng(0)


@pytest.mark.syllabus("cnn.convolution_vs_correlation")
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_equal_scipy_and_flip_relation(mode):
    x = rng.standard_normal((20, 15))
    for k in (rng.standard_normal((3, 3)), rng.standard_normal((4, 2))):
        np.testing.assert_allclose(convolve2d(x, k, mode).numpy(), ss.convolve2d(x, k, mode), atol=1e-12)
        np.testing.assert_allclose(correlate2d(x, k, mode).numpy(), ss.correlate2d(x, k, mode), atol=1e-12)
    s, k1 = rng.standard_normal(30), rng.standard_normal(4)
    np.testing.assert_allclose(convolve1d(s, k1, mode).numpy(), ss.convolve(s, k1, mode), atol=1e-12)
    np.testing.assert_allclose(correlate1d(s, k1, mode).numpy(), ss.correlate(s, k1, mode), atol=1e-12)


@pytest.mark.syllabus("cnn.convolution_vs_correlation")
def test_symmetric_kernel_coincide_antisymmetric_differ():
    x = rng.standard_normal((12, 12))
    sym = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
    torch.testing.assert_close(convolve2d(x, sym, "same"), correlate2d(x, sym, "same"))
    d = np.array([[-1.0, 0.0, 1.0]])
    conv, corr = convolve2d(x, d, "same"), correlate2d(x, d, "same")
    assert not torch.allclose(conv, corr)
    torch.testing.assert_close(conv, -corr)                     # flipping an antisymmetric kernel negates it


@pytest.mark.syllabus("cnn.conv_properties")
def test_convolution_algebra():
    f, g, h = rng.standard_normal(17), rng.standard_normal(5), rng.standard_normal(7)
    torch.testing.assert_close(convolve1d(f, g), convolve1d(g, f), atol=1e-10, rtol=0)                   # commutative
    torch.testing.assert_close(convolve1d(convolve1d(f, g), h), convolve1d(f, convolve1d(g, h)), atol=1e-10, rtol=0)
    torch.testing.assert_close(convolve1d(f, g + h[:5]),
                               convolve1d(f, g) + convolve1d(f, h[:5]), atol=1e-10, rtol=0)             # distributive
    np.testing.assert_allclose(convolve1d(convolve1d(f, g), h).numpy(), ss.convolve(ss.convolve(f, g), h), atol=1e-10)
    # shift equivariance: delaying the input delays the output
    shifted = np.concatenate([np.zeros(3), f])
    torch.testing.assert_close(convolve1d(shifted, g)[3:], convolve1d(f, g), atol=1e-10, rtol=0)
    # convolution theorem for circular convolution (1-D and 2-D)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    np.testing.assert_allclose(circular_convolve(a, b).numpy(), np.real(np.fft.ifft(np.fft.fft(a) * np.fft.fft(b))),
                               atol=1e-10)
    A, B = rng.standard_normal((8, 6)), rng.standard_normal((8, 6))
    np.testing.assert_allclose(circular_convolve(A, B).numpy(), np.real(np.fft.ifft2(np.fft.fft2(A) * np.fft.fft2(B))),
                               atol=1e-10)
    # full linear convolution = circular convolution of the zero-padded signals
    n = len(f) + len(g) - 1
    np.testing.assert_allclose(convolve1d(f, g).numpy(), circular_convolve(np.pad(f, (0, n - len(f))),
                                                                           np.pad(g, (0, n - len(g)))).numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="mode"):
        convolve1d(f, g, "circular")
