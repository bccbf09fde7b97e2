import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.naive_bayes import GaussianNB

from deepnotes.models import BernoulliNaiveBayes, GaussianNaiveBayes


@pytest.mark.syllabus("foundations.naive_bayes")
def test_gaussian_nb_equals_sklearn():
    X, y = load_wine(return_X_y=True)
    ref = GaussianNB(var_smoothing=0).fit(X, y)
    ours = GaussianNaiveBayes().fit(torch.tensor(X), torch.tensor(y))
    np.testing.assert_allclose(ours.predict_proba(torch.tensor(X)).numpy(), ref.predict_proba(X), rtol=1e-6, atol=1e-10)
    assert (ours.predict(torch.tensor(X)).numpy() == ref.predict(X)).all()


@pytest.mark.syllabus("foundations.naive_bayes")
def test_bernoulli_toy_gives_three_sevenths():
    x = torch.tensor([[1, 1]] + [[1, 0]] * 4 + [[0, 1]] * 4 + [[0, 0]] * 4)
    y = torch.tensor([1] + [2] * 12)
    nb = BernoulliNaiveBayes().fit(x, y)
    p = nb.predict_proba(torch.tensor([[1, 1]]))
    assert abs(p[0, 0].item() - 3 / 7) < 1e-15
    with pytest.raises(ValueError, match="x"):
        BernoulliNaiveBayes().fit(x * 2, y)
