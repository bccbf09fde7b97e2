import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from deepnotes.models import LinearSVM


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.syllabus("foundations.linear_svm")
def test_sign_agreement_with_sklearn_linear_svc():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = LinearSVC(loss="hinge", C=1.0, max_iter=200000, tol=1e-8).fit(X, y)
    m = LinearSVM(30, C=1.0, dtype=torch.float64)
    curve = m.fit(torch.tensor(X), torch.tensor(2 * y - 1), lr=0.001, steps=800)
    agree = (np.sign(m(torch.tensor(X)).detach().numpy()) == np.sign(ref.decision_function(X))).mean()
    assert agree >= 0.98
    assert m.objective(torch.tensor(X), torch.tensor(2 * y - 1)).item() < curve[0]


@pytest.mark.syllabus("foundations.linear_svm")
def test_bad_input():
    with pytest.raises(ValueError, match="C"):
        LinearSVM(2, C=0.0)
    with pytest.raises(ValueError, match="y"):
        LinearSVM(2).fit(torch.zeros(3, 2), torch.tensor([0, 1, 1]))
