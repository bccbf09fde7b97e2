import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.interpret import (alpha_norm, content_loss, deep_dream, gram_matrix, invert_representation,
                                 jitter, neural_style_transfer, style_loss, total_variation, unjitter,
                                 whiten_colour_transform)


@pytest.mark.syllabus("interpretability.natural_image_prior")
def test_total_variation_and_alpha_norm():
    assert total_variation(torch.full((2, 3, 7, 7), 0.3)) == 0
    assert total_variation(torch.full((7, 7), 0.3), anisotropic=True) == 0
    n = 6
    ij = torch.arange(n)
    board = (-1.0) ** (ij[:, None] + ij[None, :])
    assert total_variation(board, anisotropic=True) == 2 * 2 * n * (n - 1)
    # beta = 2 by hand on a 3x3 image
    x = torch.arange(9.0).view(3, 3) ** 1.5
    ref = sum((x[i, j + 1] - x[i, j]) ** 2 + (x[i + 1, j] - x[i, j]) ** 2 for i in range(2) for j in range(2))
    torch.testing.assert_close(total_variation(x), ref)
    ref1 = sum(((x[i, j + 1] - x[i, j]) ** 2 + (x[i + 1, j] - x[i, j]) ** 2).sqrt() for i in range(2) for j in range(2))
    torch.testing.assert_close(total_variation(x, beta=1.0), ref1)              # beta = 1: sum of gradient norms
    z = torch.randn(2, 5, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: total_variation(t, beta=1.0, eps=1e-3), (z,))
    assert torch.autograd.gradcheck(lambda t: alpha_norm(t, 3.0), (z,))
    torch.testing.assert_close(alpha_norm(torch.tensor([1.0, -2.0]), 2.0), torch.tensor(5.0))


@pytest.mark.syllabus("interpretability.gram_matrix")
def test_gram_matrix_properties():
    torch.manual_seed(0)
    f = torch.randn(2, 5, 4, 6, dtype=torch.float64)
    G = gram_matrix(f)
    F_ = f.flatten(2)
    torch.testing.assert_close(G, F_ @ F_.transpose(1, 2) / 24)
    torch.testing.assert_close(G, G.transpose(1, 2))
    assert torch.linalg.eigvalsh(G).min() > -1e-10
    perm = torch.randperm(24)
    torch.testing.assert_close(gram_matrix(F_[:, :, perm].view_as(f)), G)


@pytest.mark.syllabus("interpretability.style_loss")
def test_style_loss_zero_for_identical_and_shuffled():
    torch.manual_seed(0)
    feats = [torch.randn(1, 4, 6, 6), torch.randn(1, 8, 3, 3)]
    grams = [gram_matrix(f) for f in feats]
    assert style_loss(feats, grams) == 0
    shuffled = [f.flatten(2)[:, :, torch.randperm(f[0, 0].numel())].view_as(f) for f in feats]
    assert style_loss(shuffled, grams) < 1e-10
    other = [torch.randn_like(f) for f in feats]
    ref = 0.3 * (gram_matrix(other[0]) - grams[0]).pow(2).sum() + 2.0 * (gram_matrix(other[1]) - grams[1]).pow(2).sum()
    torch.testing.assert_close(style_loss(other, grams, [0.3, 2.0]), ref)
    assert ref > 0


@pytest.mark.syllabus("interpretability.content_loss")
def test_content_loss_is_squared_distance():
    a, b = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4)
    torch.testing.assert_close(content_loss(a, b), F.mse_loss(a, b, reduction="sum"))
    assert content_loss(a, a.clone()) == 0 and content_loss(a, b) > 0
    with pytest.raises(ValueError, match="content_features"):
        content_loss(a, b[:, :2])


def _extractor(seed=0):
    torch.manual_seed(seed)
    c1, c2 = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 16, 3, padding=1, stride=2)
    def extract(x):
        a = torch.relu(c1(x))
        return [a, torch.relu(c2(a))]
    return extract


@pytest.mark.syllabus("interpretability.neural_style_transfer")
def test_style_transfer_limits():
    torch.manual_seed(0)
    extract = _extractor()
    content, style = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    _, hist = neural_style_transfer(extract, content, style, alpha=1.0, beta=0.0, steps=3)
    assert hist[0]["total"] == 0.0                                           # beta = 0, content init
    x, hist = neural_style_transfer(extract, content, style, alpha=0.0, beta=1.0, steps=300, lr=0.03)
    with torch.no_grad():
        for fx, fs in zip(extract(x), extract(style)):
            gx, gs = gram_matrix(fx), gram_matrix(fs)
            assert (gx - gs).norm() / gs.norm() < 0.05
    assert hist[-1]["style"] < 0.05 * hist[0]["style"]


@pytest.mark.syllabus("interpretability.wct_style_transfer")
def test_wct_matches_style_mean_and_covariance():
    torch.manual_seed(0)
    fc = torch.randn(6, 10, 10, dtype=torch.float64) * 2 + 1
    fs = torch.randn(6, 6, dtype=torch.float64) @ torch.randn(6, 40, dtype=torch.float64) + 3  # correlated
    out = whiten_colour_transform(fc, fs.view(6, 5, 8), eps=0.0)
    o = out.reshape(6, -1)
    torch.testing.assert_close(o.mean(1), fs.mean(1))
    cov = lambda f: (f - f.mean(1, keepdim=True)) @ (f - f.mean(1, keepdim=True)).t() / (f.size(1) - 1)
    assert (cov(o) - cov(fs)).abs().max() < 1e-4
    torch.testing.assert_close(whiten_colour_transform(fc, fs, alpha=0.0), fc)
    with pytest.raises(ValueError, match="alpha"):
        whiten_colour_transform(fc, fs, alpha=2.0)


@pytest.mark.syllabus("interpretability.deep_dream")
def test_deep_dream_increases_activation_and_jitter_is_identity():
    x = torch.rand(2, 3, 9, 11)
    for shift in ((3, -2), (0, 5), (-4, 11)):
        assert torch.equal(unjitter(jitter(x, shift), shift), x)
    torch.manual_seed(0)
    layer = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1), nn.ReLU())
    img, hist = deep_dream(layer, torch.rand(1, 3, 16, 16) * 0.5 + 0.25, steps=15, lr=0.01, max_jitter=2,
                           generator=torch.Generator().manual_seed(0))
    assert hist[-1] > hist[0] and img.min() >= 0 and img.max() <= 1
    with pytest.raises(ValueError, match="image"):
        deep_dream(layer, torch.rand(3, 16, 16))


@pytest.mark.syllabus("interpretability.deep_dream")
def test_deep_dream_step_is_normalised_ascent_on_half_squared_activation_and_unjitters():
    """One step by hand: g = d(1/2 ||a||^2)/dx (the backward seed is delta = a), x + lr g / mean|g|. With a
    circularly padded conv (equivariant to rolls) a jittered step, once un-jittered, equals the plain step."""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular").double()
    layer = nn.Sequential(conv, nn.ReLU())
    x = torch.rand(1, 3, 10, 12, dtype=torch.float64)
    xr = x.clone().requires_grad_(True)
    a = layer(xr)
    (g,) = torch.autograd.grad(a, xr, grad_outputs=a.detach())    # seed backprop with delta = a
    ref = x + 0.05 * g / g.abs().mean()
    plain, hist = deep_dream(layer, x, steps=1, lr=0.05, max_jitter=0, clamp=None)
    torch.testing.assert_close(plain, ref)
    assert hist[0] == pytest.approx(0.5 * a.pow(2).sum().item())
    jittered, _ = deep_dream(layer, x, steps=1, lr=0.05, max_jitter=4, clamp=None,
                             generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(jittered, ref)


@pytest.mark.syllabus("interpretability.representation_inversion")
def test_inversion_first_conv_recovers_image_deeper_is_worse():
    torch.manual_seed(0)
    x0 = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    conv1 = nn.Conv2d(1, 16, 3, padding=1).double()
    deep = nn.Sequential(conv1, nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2)).double()
    for p in deep.parameters():
        p.requires_grad_(False)
    x1, _ = invert_representation(conv1, x0, steps=200, optimizer="lbfgs", generator=torch.Generator().manual_seed(0))
    mse1 = F.mse_loss(x1, x0).item()
    x2, _ = invert_representation(deep, x0, steps=200, optimizer="lbfgs", generator=torch.Generator().manual_seed(0))
    mse2 = F.mse_loss(x2, x0).item()
    assert mse1 < 1e-3 and mse2 > mse1
    # the TV prior smooths the reconstruction
    x3, hist = invert_representation(deep, x0, steps=60, lr=0.05, tv_weight=0.05,
                                     generator=torch.Generator().manual_seed(0))
    assert total_variation(x3) < total_variation(x2) and hist[-1] < hist[0]
