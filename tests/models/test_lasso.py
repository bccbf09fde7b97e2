import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso as SkLasso

from deepnotes.models import Lasso


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

X, Y = load_diabetes(return_X_y=True)


@pytest.mark.syllabus("foundations.l1_regularization")
@pytest.mark.parametrize("alpha", [0.1, 1.0])
def test_proximal_gradient_equals_sklearn_lasso_with_exact_zeros(alpha):
    ref = SkLasso(alpha=alpha, tol=1e-12, max_iter=1_000_000).fit(X, Y)
    ours = Lasso(alpha).fit(torch.tensor(X), torch.tensor(Y))
    assert np.abs(ours.coef_.numpy() - ref.coef_).max() <= 1e-4 * np.abs(ref.coef_).max()
    assert abs(ours.intercept_.item() - ref.intercept_) < 1e-4 * abs(ref.intercept_)
    zeros = int((ours.coef_ == 0).sum())
    assert zeros == int((ref.coef_ == 0).sum()) and zeros >= 3       # exact zeros, not tiny values
    np.testing.assert_allclose(ours.predict(torch.tensor(X)).numpy(), ref.predict(X), rtol=1e-4)


@pytest.mark.syllabus("foundations.l1_regularization")
def test_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        Lasso(-1.0)
    with pytest.raises(ValueError, match="y"):
        Lasso().fit(torch.zeros(5, 2), torch.zeros(4))
    with pytest.raises(RuntimeError, match="fit"):
        Lasso().predict(torch.zeros(5, 2))
