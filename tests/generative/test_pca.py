import pytest
import torch
from sklearn.decomposition import PCA as SkPCA

from deepnotes.data import load
from deepnotes.generative import PCA


def digits():
    return load("digits", "train", flatten=True).tensors[0].double()


@pytest.mark.syllabus("generative.pca")
def test_components_and_variances_equal_sklearn():
    x = digits()
    ours = PCA(16).fit(x)
    ref = SkPCA(16, svd_solver="full").fit(x.numpy())
    comps = torch.tensor(ref.components_)
    signs = torch.sign((ours.components_ * comps).sum(1, keepdim=True))    # components up to sign
    torch.testing.assert_close(ours.components_ * signs, comps, atol=1e-6, rtol=0)
    torch.testing.assert_close(ours.explained_variance_, torch.tensor(ref.explained_variance_), atol=1e-8, rtol=1e-8)
    torch.testing.assert_close(ours.transform(x) * signs.T, torch.tensor(ref.transform(x.numpy())), atol=1e-6, rtol=0)


@pytest.mark.syllabus("generative.pca")
def test_variance_split_and_eigenvalues():
    x = digits()
    n, d = x.shape
    pca = PCA(10).fit(x)
    cov = torch.cov(x.T)                                                # unbiased, (D, D)
    evals = torch.linalg.eigvalsh(cov).flip(0)[:10]
    torch.testing.assert_close(pca.explained_variance_, evals, atol=1e-8, rtol=1e-8)
    # total variance = retained variance + D * reconstruction MSE (both with 1/(n-1))
    mse = ((x - pca.reconstruct(x)) ** 2).mean() * n / (n - 1)
    torch.testing.assert_close(cov.trace(), pca.explained_variance_.sum() + d * mse, atol=1e-8, rtol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match="n_components"):
        PCA(0)
    with pytest.raises(ValueError, match="n_components"):
        PCA(100).fit(torch.randn(20, 5))
