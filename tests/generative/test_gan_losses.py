import math

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
import torch
import torch.nn.functional as F

from deepnotes.generative import (GANDiscriminator, GANGenerator, gan_discriminator_loss, gan_generator_loss,
                                  gan_generator_saturating_loss, gan_value, gan_value_at_optimum, js_divergence,
                                  lsgan_discriminator_loss, lsgan_generator_loss, optimal_discriminator,
                                  wasserstein_1d)


@pytest.mark.syllabus("generative.gan")
def test_generator_and_discriminator_shapes_and_ranges():
    torch.manual_seed(0)
    G = GANGenerator(4, 64, output="sigmoid")
    D = GANDiscriminator(64)
    x = G.sample(10, generator=torch.Generator().manual_seed(1))
    assert x.shape == (10, 64) and (x > 0).all() and (x < 1).all()
    p = D.prob(x)
    assert p.shape == (10, 1) and (p > 0).all() and (p < 1).all()
    assert torch.allclose(p, torch.sigmoid(D(x)))
    with pytest.raises(ValueError, match="z"):
        G(torch.randn(3, 5))
    with pytest.raises(ValueError, match="output"):
        GANGenerator(4, 8, output="relu")


@pytest.mark.syllabus("generative.gan_minimax_loss")
def test_value_equals_negative_bce():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(32, 1, generator=g) * 3, torch.randn(32, 1, generator=g) * 3
    bce = (F.binary_cross_entropy(torch.sigmoid(real), torch.ones_like(real))
           + F.binary_cross_entropy(torch.sigmoid(fake), torch.zeros_like(fake)))
    assert torch.allclose(gan_value(real, fake), -bce, atol=1e-6)
    assert torch.allclose(gan_discriminator_loss(real, fake), bce, atol=1e-6)
    assert torch.allclose(gan_generator_saturating_loss(fake), torch.log(1 - torch.sigmoid(fake)).mean(), atol=1e-6)
    with pytest.raises(ValueError, match="fake_logits"):
        gan_value(real, torch.randn(3, 2))


@pytest.mark.syllabus("generative.non_saturating_gan_loss")
def test_non_saturating_gradient_stays_large():
    # sigma(l) = 1e-3: the saturating loss has gradient 1e-3, the non-saturating one 0.999
    l = torch.tensor([[math.log(1e-3 / (1 - 1e-3))]], requires_grad=True)
    (g_sat,) = torch.autograd.grad(gan_generator_saturating_loss(l), l)
    (g_ns,) = torch.autograd.grad(gan_generator_loss(l), l)
    assert abs(g_sat.abs().item() - 1e-3) < 1e-6
    assert abs(g_ns.abs().item() - 0.999) < 1e-6
    assert torch.allclose(gan_generator_loss(l), -torch.log(torch.sigmoid(l)).mean())


@pytest.mark.syllabus("generative.lsgan")
def test_lsgan_formulas_and_optimal_discriminator():
    g = torch.Generator().manual_seed(0)
    r, f = torch.randn(50, 1, generator=g), torch.randn(50, 1, generator=g)
    assert torch.allclose(lsgan_discriminator_loss(r, f), 0.5 * F.mse_loss(r, torch.ones_like(r))
                          + 0.5 * F.mse_loss(f, torch.zeros_like(f)))
    assert torch.allclose(lsgan_generator_loss(f), 0.5 * F.mse_loss(f, torch.ones_like(f)))
    # pointwise minimiser of 1/2 p_d (D-1)^2 + 1/2 p_g D^2 over D is p_d/(p_d+p_g): gradient descent per point
    pd, pg = torch.tensor([0.1, 0.5, 0.9, 2.0]), torch.tensor([0.7, 0.5, 0.1, 0.3])
    d = optimal_discriminator(pd, pg).requires_grad_(True)
    (grad,) = torch.autograd.grad((0.5 * pd * (d - 1) ** 2 + 0.5 * pg * d ** 2).sum(), d)
    assert grad.abs().max().item() < 1e-7                        # stationary, and the loss is convex in d
    assert not torch.allclose(d, torch.full_like(d, 0.5))


@pytest.mark.syllabus("generative.js_divergence")
def test_js_against_scipy_and_disjoint_supports():
    rng = np.random.default_rng(0)
    for _ in range(5):
        p, q = rng.random(7), rng.random(7)
        ref = scipy.spatial.distance.jensenshannon(p, q) ** 2
        assert abs(js_divergence(torch.tensor(p), torch.tensor(q)).item() - ref) < 1e-10
    for shift in (1, 3, 10):
        p, q = torch.zeros(20, dtype=torch.float64), torch.zeros(20, dtype=torch.float64)
        p[0], q[shift + 5] = 1, 1
        assert abs(js_divergence(p, q).item() - math.log(2)) < 1e-12
    with pytest.raises(ValueError, match="q"):
        js_divergence(torch.ones(3), torch.ones(4))


@pytest.mark.syllabus("generative.wasserstein_distance")
def test_wasserstein_against_scipy():
    rng = np.random.default_rng(1)
    for n, m in ((10, 10), (37, 51)):
        u, v = rng.normal(size=n), rng.normal(1.5, 2, size=m)
        ref = scipy.stats.wasserstein_distance(u, v)
        assert abs(wasserstein_1d(torch.tensor(u), torch.tensor(v)).item() - ref) < 1e-9
    assert wasserstein_1d(torch.zeros(1), torch.full((1,), 3.5)).item() == pytest.approx(3.5, abs=1e-12)
    with pytest.raises(ValueError, match="u"):
        wasserstein_1d(torch.zeros(2, 2), torch.zeros(2))


@pytest.mark.syllabus("generative.optimal_discriminator")
def test_value_at_optimal_discriminator_is_2jsd_minus_log4():
    x = torch.linspace(-15, 15, 200001, dtype=torch.float64)
    dx = float(x[1] - x[0])
    pd = torch.distributions.Normal(0.0, 1.0).log_prob(x).exp()
    pg = torch.distributions.Normal(1.5, 0.7).log_prob(x).exp()
    m = 0.5 * (pd + pg)
    jsd = 0.5 * (pd * (pd / m).log()).sum() * dx + 0.5 * (pg * (pg / m).log()).sum() * dx
    v = gan_value_at_optimum(pd, pg, dx)
    assert abs(v.item() - (2 * jsd.item() - math.log(4))) < 1e-6
    assert abs(gan_value_at_optimum(pd, pd, dx).item() + math.log(4)) < 1e-6


@pytest.mark.slow
@pytest.mark.syllabus("generative.optimal_discriminator")
def test_trained_discriminator_matches_optimal():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    D = GANDiscriminator(1, (32, 32))
    opt = torch.optim.Adam(D.parameters(), lr=3e-3)
    for _ in range(600):
        real, fake = torch.randn(512, 1, generator=g), 1.5 + 0.7 * torch.randn(512, 1, generator=g)
        loss = gan_discriminator_loss(D(real), D(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    grid = torch.linspace(-1.5, 2.5, 41)[:, None]
    d_star = optimal_discriminator(torch.distributions.Normal(0.0, 1.0).log_prob(grid).exp(),
                                   torch.distributions.Normal(1.5, 0.7).log_prob(grid).exp())
    with torch.no_grad():
        assert (D.prob(grid) - d_star).abs().max().item() < 0.05
