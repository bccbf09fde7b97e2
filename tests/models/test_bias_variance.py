import math

import pytest
import torch

from deepnotes.models import bias_variance_decomposition, polynomial_features


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

SIGMA = 0.3


def simulate(degree, R=500, N=25, M=200, fresh=10, seed=0):
    """Fit R least-squares polynomials, one per dataset drawn from y = sin(2 pi x) + noise on a
    fixed design; return predictions (R, M) at test points, f there, and the Monte Carlo error
    against fresh noisy labels (computed independently of the decomposition)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.linspace(0, 1, N, dtype=torch.float64)
    x_test = torch.linspace(0.01, 0.99, M, dtype=torch.float64)
    f_test = torch.sin(2 * math.pi * x_test)
    y = torch.sin(2 * math.pi * x) + SIGMA * torch.randn(R, N, generator=g, dtype=torch.float64)  # (R, N)
    A = torch.cat([torch.ones(N, 1, dtype=torch.float64), polynomial_features(2 * x - 1, degree)], 1)
    coef = torch.linalg.lstsq(A.expand(R, N, degree + 1), y[..., None]).solution     # (R, d + 1, 1)
    At = torch.cat([torch.ones(M, 1, dtype=torch.float64), polynomial_features(2 * x_test - 1, degree)], 1)
    preds = (At @ coef).squeeze(-1)                                                  # (R, M)
    y_new = f_test + SIGMA * torch.randn(fresh, R, M, generator=g, dtype=torch.float64)  # fresh labels
    return preds, f_test, ((preds - y_new) ** 2).mean().item()


@pytest.mark.syllabus("foundations.bias_variance")
def test_decomposition_matches_monte_carlo_and_trends_with_degree():
    rows = []
    for degree in (1, 3, 5, 7, 9):
        preds, f, mc = simulate(degree)
        d = bias_variance_decomposition(preds, f, SIGMA ** 2)
        assert abs(d["expected_error"] - mc) / mc < 0.01, (degree, d, mc)
        rows.append(d)
    bias2 = [r["bias2"] for r in rows]
    var = [r["variance"] for r in rows]
    assert bias2[0] > bias2[1] > bias2[2] and max(bias2[3:]) < bias2[1], bias2
    assert all(a < b for a, b in zip(var, var[1:])), var


@pytest.mark.syllabus("foundations.bias_variance")
def test_closed_form_on_a_known_estimator_and_errors():
    # constant predictions c_r: bias^2 = (mean c - f)^2, variance = var(c) (1/R)
    c = torch.tensor([[1.0], [2.0], [4.0]], dtype=torch.float64)
    d = bias_variance_decomposition(c, torch.tensor([0.0], dtype=torch.float64), 0.5)
    assert abs(d["bias2"] - (7 / 3) ** 2) < 1e-12 and abs(d["variance"] - c.var(correction=0).item()) < 1e-12
    with pytest.raises(ValueError, match="f_true"):
        bias_variance_decomposition(c, torch.zeros(2))
