import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn.model_selection import cross_val_score as sk_cross_val_score

from deepnotes.models import LinearRegression, cross_val_score, kfold_indices


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.syllabus("foundations.cross_validation")
def test_folds_partition_and_match_sklearn_kfold():
    folds = kfold_indices(23, 5)
    val = torch.cat([v for _, v in folds]).sort().values
    assert torch.equal(val, torch.arange(23))
    for tr, va in folds:
        assert len(set(tr.tolist()) & set(va.tolist())) == 0 and len(tr) + len(va) == 23
    for (tr, va), (str_, sva) in zip(folds, KFold(5).split(np.arange(23))):
        assert tr.tolist() == list(str_) and va.tolist() == list(sva)
    shuffled = kfold_indices(23, 5, shuffle=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.cat([v for _, v in shuffled]).sort().values, torch.arange(23))
    with pytest.raises(ValueError, match="n_splits"):
        kfold_indices(3, 5)


@pytest.mark.syllabus("foundations.cross_validation")
def test_scores_equal_sklearn_cross_val_score_for_ridge():
    X, y = load_diabetes(return_X_y=True)
    ref = sk_cross_val_score(Ridge(alpha=0.5), X, y, cv=KFold(5))

    def fit_predict(xtr, ytr, xva):
        return LinearRegression(10, dtype=torch.float64).fit_closed_form(xtr, ytr, alpha=0.5)(xva).squeeze(1).detach()

    ours = cross_val_score(fit_predict, lambda t, p: r2_score(t.numpy(), p.numpy()),
                           torch.tensor(X), torch.tensor(y), folds=5)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=0, atol=1e-8)
