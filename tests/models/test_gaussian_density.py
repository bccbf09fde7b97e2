import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from deepnotes.models import gaussian_log_density, gaussian_mle

g = torch.Generator().manual_seed(11)


def random_spd(D):
    A = torch.randn(D, D, generator=g, dtype=torch.float64)
    return A @ A.T + 0.5 * torch.eye(D, dtype=torch.float64)


@pytest.mark.syllabus("foundations.gaussian_density")
def test_log_density_equals_scipy_and_integrates_to_one():
    for D in (1, 3, 5):
        mu, S = torch.randn(D, generator=g, dtype=torch.float64), random_spd(D)
        x = torch.randn(40, D, generator=g, dtype=torch.float64) * 2
        ref = multivariate_normal(mu.numpy(), S.numpy()).logpdf(x.numpy())
        np.testing.assert_allclose(gaussian_log_density(x, mu, S).numpy(), np.atleast_1d(ref), rtol=0, atol=1e-8)
    mu = torch.tensor([0.3, -0.2], dtype=torch.float64)
    S = torch.tensor([[1.0, 0.6], [0.6, 0.8]], dtype=torch.float64)
    t = torch.linspace(-8, 8, 401, dtype=torch.float64)
    grid = torch.cartesian_prod(t, t)
    mass = gaussian_log_density(grid, mu, S).exp().sum() * (t[1] - t[0]) ** 2
    assert abs(mass.item() - 1) < 1e-3


@pytest.mark.syllabus("foundations.gaussian_density")
def test_rejects_non_positive_definite():
    with pytest.raises(ValueError, match="cov"):
        gaussian_log_density(torch.zeros(3, 2), torch.zeros(2), torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="mean"):
        gaussian_log_density(torch.zeros(3, 2), torch.zeros(3), torch.eye(2))


@pytest.mark.syllabus("foundations.gaussian_mle")
def test_mle_equals_numpy_and_is_a_maximum():
    x = torch.randn(79, 3, generator=g, dtype=torch.float64) @ random_spd(3)   # the notes' N = 79
    mu, S = gaussian_mle(x)
    np.testing.assert_allclose(mu.numpy(), x.numpy().mean(0), atol=1e-12)
    np.testing.assert_allclose(S.numpy(), np.cov(x.numpy().T, bias=True), atol=1e-12)
    best = gaussian_log_density(x, mu, S).sum()
    for _ in range(20):
        dmu = 1e-3 * torch.randn(3, generator=g, dtype=torch.float64)
        E = 1e-3 * torch.randn(3, 3, generator=g, dtype=torch.float64)
        assert gaussian_log_density(x, mu + dmu, S).sum() < best
        assert gaussian_log_density(x, mu, S + E @ E.T + 1e-4 * (E + E.T)).sum() < best
