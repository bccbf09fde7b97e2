"""Toy 2-D distributions: mode means, exact mixture density, curve geometry, seeding."""
import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from deepnotes.data import MixtureOfGaussians2d, grid25, load, ring8, sample_moons, sample_spirals, sample_swissroll


@pytest.mark.syllabus("generative.toy_distributions")
@pytest.mark.parametrize("make", [ring8, grid25])
def test_mode_means_match_centres(make):
    mix = make()
    x, mode = mix.sample(20000, torch.Generator().manual_seed(0))
    assert x.shape == (20000, 2) and mode.unique().numel() == mix.num_modes
    for k in range(mix.num_modes):
        pts = x[mode == k].double()
        se = mix.std / math.sqrt(len(pts))
        assert ((pts.mean(0) - mix.means[k]).abs() <= 3 * se + 1e-6).all()
        assert ((pts.std(0) - mix.std).abs() < 0.1 * mix.std).all()


@pytest.mark.syllabus("generative.toy_distributions")
def test_log_prob_equals_scipy_and_integrates_to_one():
    mix = ring8()
    pts = torch.randn(50, 2, generator=torch.Generator().manual_seed(1)) * 2
    pts[:8] = mix.means.float() + 0.01
    ref = logsumexp([multivariate_normal(m.numpy(), mix.std ** 2 * np.eye(2)).logpdf(pts.double().numpy())
                     for m in mix.means], axis=0) - math.log(8)
    np.testing.assert_allclose(mix.log_prob(pts.double()).numpy(), ref, rtol=1e-10, atol=1e-8)
    for m, lim in ((ring8(), 2.3), (grid25(), 4.5)):
        h = m.std / 2  # a Riemann sum of a Gaussian at h = s/2 is exact to ~1e-30
        g = torch.arange(-lim, lim, h, dtype=torch.float64)
        xx, yy = torch.meshgrid(g, g, indexing="ij")
        grid = torch.stack([xx.flatten(), yy.flatten()], 1)
        total = sum(m.log_prob(chunk).exp().sum().item() for chunk in grid.split(500_000)) * h * h
        assert abs(total - 1) < 1e-3


def test_curves_geometry_and_labels():
    x, y = sample_moons(2000, noise=0.0, generator=torch.Generator().manual_seed(0))
    up, low = x[y == 0].double(), x[y == 1].double()
    assert torch.allclose(up.norm(dim=1), torch.ones(len(up), dtype=torch.float64), atol=1e-6)
    assert torch.allclose((low - torch.tensor([1.0, 0.5], dtype=torch.float64)).norm(dim=1),
                          torch.ones(len(low), dtype=torch.float64), atol=1e-6)
    x, t = sample_swissroll(500, noise=0.0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(x.double().norm(dim=1), t.double() / 5, atol=1e-5)
    x, arm = sample_spirals(500, noise=0.0, generator=torch.Generator().manual_seed(0))
    r = x.double().norm(dim=1)
    assert r.max() <= 3 + 1e-5 and set(arm.tolist()) == {0, 1}


@pytest.mark.syllabus("generative.toy_distributions")
@pytest.mark.parametrize("name", ["ring8", "grid25", "moons", "swissroll", "spirals"])
def test_registered_and_seeded(name):
    a, b = load(name, n=64, seed=3), load(name, n=64, seed=3)
    assert torch.equal(a.tensors[0], b.tensors[0]) and a.tensors[0].shape == (64, 2)
    assert not torch.equal(a.tensors[0], load(name, split="test", n=64, seed=3).tensors[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="n"):
        load("ring8", n=0)
    with pytest.raises(ValueError, match="split"):
        load("moons", split="dev")
    with pytest.raises(ValueError, match="means"):
        MixtureOfGaussians2d(torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="std"):
        ring8(std=0.0)
