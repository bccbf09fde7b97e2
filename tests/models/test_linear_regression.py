import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from deepnotes.models import LinearRegression, polynomial_features


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

X, Y = load_diabetes(return_X_y=True)
XS = (X - X.mean(0)) / X.std(0)                      # standardised: GD converges in ~1e3 steps
YS = (Y - Y.mean()) / Y.std()


def lstsq(A, y):
    return np.linalg.lstsq(np.c_[A, np.ones(len(A))], y, rcond=None)[0]


@pytest.mark.syllabus("foundations.linear_model")
def test_gd_and_closed_form_match_numpy_lstsq():
    ref = lstsq(XS, YS)
    x, y = torch.tensor(XS), torch.tensor(YS)
    cf = LinearRegression(10, dtype=torch.float64).fit_closed_form(x, y)
    got = np.r_[cf.weight.detach().numpy()[0], cf.bias.item()]
    assert np.abs(got - ref).max() / np.abs(ref).max() < 1e-10
    ev = np.linalg.eigvalsh(XS.T @ XS / len(XS))
    gd = LinearRegression(10, dtype=torch.float64)
    gd.fit_gd(x, y, lr=1.0 / (ev.max() + ev.min()), steps=4000)  # optimal step (Hessian 2 X^T X / N)
    got = np.r_[gd.weight.detach().numpy()[0], gd.bias.item()]
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 1e-4


@pytest.mark.syllabus("foundations.linear_model")
def test_partial_derivatives_by_autograd_and_torch_linear_state_dict():
    m = LinearRegression(1, dtype=torch.float64)
    x = torch.tensor([[2.5]], dtype=torch.float64)
    y = m(x).sum()
    gw, gb = torch.autograd.grad(y, [m.weight, m.bias])
    assert gw.item() == 2.5 and gb.item() == 1.0      # dy/dw = x, dy/db = 1
    ref = torch.nn.Linear(3, 2).double()
    ours = LinearRegression(3, 2, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())
    z = torch.randn(5, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(z), ref(z))


@pytest.mark.syllabus("foundations.l2_regularization")
@pytest.mark.parametrize("alpha", [0.1, 1.0, 10.0])
def test_closed_form_ridge_equals_sklearn(alpha):
    r = Ridge(alpha=alpha).fit(X, Y)
    m = LinearRegression(10, dtype=torch.float64).fit_closed_form(torch.tensor(X), torch.tensor(Y), alpha=alpha)
    assert np.abs(m.weight.detach().numpy()[0] - r.coef_).max() <= 1e-6 * np.abs(r.coef_).max()
    assert abs(m.bias.item() - r.intercept_) < 1e-6 * abs(r.intercept_)


@pytest.mark.syllabus("foundations.linear_model")
def test_polynomial_regression_and_bad_input():
    x = torch.linspace(-1, 1, 30, dtype=torch.float64)
    y = 1 - 2 * x + 3 * x ** 3
    feats = polynomial_features(x, 3)
    assert feats.shape == (30, 3)
    m = LinearRegression(3, dtype=torch.float64).fit_closed_form(feats, y)
    torch.testing.assert_close(m.weight.detach()[0], torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="x"):
        m(torch.zeros(4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="degree"):
        polynomial_features(x, -1)
    with pytest.raises(ValueError, match="loss"):
        m.fit_gd(feats, y, loss="huber")
