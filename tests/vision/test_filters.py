"""Classical filters against scipy.ndimage on skimage's camera image."""
import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal as ss
import torch
from skimage import data

from deepnotes.vision import (box_filter, derivative_kernel, derivative_of_gaussian_kernel, emboss_kernel, filter2d,
                              gaussian_filter, gaussian_kernel, gaussian_kernel1d, gradient_magnitude_orientation,
                              laplacian_filter, matched_filter, sharpen, sharpen_kernel, sobel, sobel_kernels)

CAM = data.camera().astype(np.float64) / 255.0


@pytest.mark.syllabus("cnn.box_filter")
def test_box_filter_equals_uniform_filter_and_keeps_constants():
    for k in (3, 5):
        np.testing.assert_allclose(box_filter(CAM, k).numpy(), ndi.uniform_filter(CAM, size=k, mode="constant"), atol=1e-6)
    const = np.full((20, 20), 0.7)
    np.testing.assert_allclose(box_filter(const, 5, mode="reflect").numpy(), const, atol=1e-12)


@pytest.mark.syllabus("cnn.gaussian_filter")
def test_gaussian_kernel_table_and_filter():
    k = gaussian_kernel(5, 1.0, normalize=False).numpy()
    assert k.sum() == pytest.approx(6.169, abs=1e-3)
    table = np.array([[.02, .08, .14, .08, .02], [.08, .37, .61, .37, .08], [.14, .61, 1.0, .61, .14],
                      [.08, .37, .61, .37, .08], [.02, .08, .14, .08, .02]])
    np.testing.assert_allclose(np.round(k, 2), table)
    assert gaussian_kernel(5, 1.0).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(gaussian_filter(CAM, 1.0, truncate=2).numpy(), ndi.gaussian_filter(CAM, 1, truncate=2), atol=1e-6)
    for mode in ("mirror", "nearest", "wrap", "constant"):
        np.testing.assert_allclose(gaussian_filter(CAM[:64, :80], 1.5, mode=mode).numpy(),
                                   ndi.gaussian_filter(CAM[:64, :80], 1.5, mode=mode), atol=1e-6)


@pytest.mark.syllabus("cnn.derivative_filters")
def test_sobel_equals_ndimage_and_vertical_edge():
    np.testing.assert_allclose(sobel(CAM, -1).numpy(), ndi.sobel(CAM, axis=1), atol=1e-10)
    np.testing.assert_allclose(sobel(CAM, -2).numpy(), ndi.sobel(CAM, axis=0), atol=1e-10)
    gx, gy = sobel_kernels()
    assert torch.equal(gy, gx.T)
    step = np.zeros((10, 10))
    step[:, 5:] = 1.0                                           # a vertical step edge
    assert sobel(step, -1).abs().max() > 0 and sobel(step, -2).abs().max() == 0
    mag, theta = gradient_magnitude_orientation(step)
    edge = mag > 0
    assert torch.allclose(theta[edge], torch.zeros(()).double())  # gradient points along +x
    # G = sqrt(Gx^2 + Gy^2), theta = atan2(Gy, Gx) on a real image, with and without Gaussian smoothing first
    img = CAM[200:260, 220:300]
    for sigma in (None, 1.5):
        ref_in = img if sigma is None else ndi.gaussian_filter(img, sigma, mode="reflect")
        gx_ref, gy_ref = ndi.sobel(ref_in, axis=1), ndi.sobel(ref_in, axis=0)
        mag, theta = gradient_magnitude_orientation(img, smooth_sigma=sigma)
        np.testing.assert_allclose(mag.numpy(), np.hypot(gx_ref, gy_ref), atol=1e-10)
        strong = np.hypot(gx_ref, gy_ref) > 1e-3                 # orientation is undefined where G = 0
        wrapped = np.angle(np.exp(1j * (theta.numpy() - np.arctan2(gy_ref, gx_ref))))   # +pi and -pi are one angle
        assert np.abs(wrapped[strong]).max() < 1e-8
    np.testing.assert_allclose(filter2d(CAM[:30, :30], derivative_kernel()).numpy(),
                               ndi.correlate1d(CAM[:30, :30], [-1, 0, 1], axis=1), atol=1e-12)
    with pytest.raises(ValueError, match="image"):
        sobel(np.zeros((3, 4, 5)))


@pytest.mark.syllabus("cnn.derivative_of_gaussian")
def test_derivative_of_gaussian_identity():
    # d/dx (G_sigma * f) = G'_sigma * f: the left side is the exact (autograd) derivative of the smoothed
    # signal h(x) = sum_j f[j] G(x - j), read at the sample points; the right side is a full convolution
    # of f with our sampled derivative-of-Gaussian kernel (same radius, so both truncate alike).
    rng = np.random.default_rng(0)
    sigma, radius = 1.5, 6
    dog = derivative_of_gaussian_kernel(sigma, radius).numpy()
    for f in (rng.standard_normal(200), CAM[100], CAM[300]):
        n = len(f)
        pos = torch.arange(-radius, n + radius, dtype=torch.float64, requires_grad=True)   # 'full' output grid
        d = pos[:, None] - torch.arange(n, dtype=torch.float64)[None, :]                    # x - j
        G = torch.exp(-d ** 2 / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma) * (d.abs() <= radius)
        h = (G * torch.as_tensor(f, dtype=torch.float64)).sum(1)                            # (G * f)(x)
        (lhs,) = torch.autograd.grad(h.sum(), pos)                                          # h'(x): each h_i sees only pos_i
        np.testing.assert_allclose(lhs.numpy(), ss.convolve(f, dog, mode="full"), atol=1e-10)
    # the sampled analytic G' equals the derivative of G (finite differences, small sigma error)
    dog = derivative_of_gaussian_kernel(1.5, 6).numpy()
    x = np.arange(-6, 7)
    G_cont = np.exp(-x ** 2 / (2 * 1.5 ** 2)) / (np.sqrt(2 * np.pi) * 1.5)
    np.testing.assert_allclose(dog, -x / 1.5 ** 2 * G_cont, atol=1e-12)
    np.testing.assert_allclose(dog, np.gradient(G_cont), atol=0.02)


@pytest.mark.syllabus("cnn.sharpen_emboss")
def test_sharpen_emboss():
    assert torch.equal(sharpen_kernel(), torch.tensor([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=torch.float64))
    assert torch.equal(emboss_kernel(), torch.tensor([[-2.0, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=torch.float64))
    assert sharpen_kernel().sum() == 1 and emboss_kernel().sum() == 1
    const = np.full((9, 9), 0.3)
    np.testing.assert_allclose(sharpen(const).numpy(), const, atol=1e-12)
    np.testing.assert_allclose(filter2d(const, emboss_kernel()).numpy(), const, atol=1e-12)
    assert laplacian_filter(sharpen(CAM)).var() > laplacian_filter(CAM).var()


def test_matched_filter_peaks_at_template():
    img = np.zeros((40, 40))
    t = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=float)
    img[20:23, 11:14] = t
    r = matched_filter(img, t)
    assert divmod(int(r.argmax()), 40) == (21, 12)
