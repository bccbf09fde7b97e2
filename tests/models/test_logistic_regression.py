import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.preprocessing import StandardScaler

from deepnotes.losses import binary_cross_entropy_with_logits
from deepnotes.models import LogisticRegression, SoftmaxRegression


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)



@pytest.mark.syllabus("foundations.logistic_regression")
def test_gd_converges_to_sklearn_unpenalised_coefficients():
    # Two standardised features: with all 30 the classes are separable and no finite MLE exists.
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:, :2]
    ref = SkLR(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    m = LogisticRegression(2, dtype=torch.float64)
    m.fit(torch.tensor(X), torch.tensor(y), lr=2.0, steps=5000, tol=1e-8)
    np.testing.assert_allclose(m.weight.detach().numpy(), ref.coef_, atol=1e-3)
    np.testing.assert_allclose(m.bias.detach().numpy(), ref.intercept_, atol=1e-3)
    assert (m.predict(torch.tensor(X)).numpy() == ref.predict(X)).mean() == 1.0


@pytest.mark.syllabus("foundations.logistic_regression")
def test_analytic_gradient_equals_autograd_and_errors():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 3, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (20,), generator=g)
    m = LogisticRegression(3, dtype=torch.float64)
    with torch.no_grad():
        m.weight.normal_(generator=g)
        m.bias.fill_(0.3)
    gw, gb = m.gradient(x, y)
    aw, ab = torch.autograd.grad(binary_cross_entropy_with_logits(m(x), y.double()), [m.weight, m.bias])
    torch.testing.assert_close(gw, aw)
    torch.testing.assert_close(gb, ab)
    with pytest.raises(ValueError, match="y"):
        m.fit(x, y + 1)
    with pytest.raises(ValueError, match="x"):
        m(torch.zeros(2, 4, dtype=torch.float64))


@pytest.mark.syllabus("foundations.softmax_regression")
def test_softmax_regression_probabilities_equal_sklearn_multinomial():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    # All four iris features separate setosa, so the unpenalised MLE does not exist; compare the
    # L2-penalised problem (sklearn's C) exactly, and the unpenalised one on sepal length alone.
    N, C = len(y), 1.0
    ref = SkLR(C=C, tol=1e-12, max_iter=10000).fit(X, y)
    m = SoftmaxRegression(4, 3, dtype=torch.float64)
    m.fit(torch.tensor(X), torch.tensor(y), lr=2.0, steps=5000, weight_decay=1 / (C * N), tol=1e-8)
    np.testing.assert_allclose(m.predict_proba(torch.tensor(X)).detach().numpy(), ref.predict_proba(X), atol=1e-3)
    ref0 = SkLR(C=np.inf, tol=1e-12, max_iter=10000).fit(X[:, :1], y)
    m0 = SoftmaxRegression(1, 3, dtype=torch.float64)
    m0.fit(torch.tensor(X[:, :1]), torch.tensor(y), lr=3.0, steps=5000, tol=1e-8)
    np.testing.assert_allclose(m0.predict_proba(torch.tensor(X[:, :1])).detach().numpy(),
                               ref0.predict_proba(X[:, :1]), atol=1e-3)
    with pytest.raises(ValueError, match="num_classes"):
        SoftmaxRegression(4, 1)
