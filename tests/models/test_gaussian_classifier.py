import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.datasets import load_wine
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis

from deepnotes.models import GaussianClassifier, bayes_posterior, shared_cov_linear_posterior

X, Y = load_wine(return_X_y=True)
X = X[:, [0, 1, 6, 9]]                                  # a well-conditioned subset of the features


def scipy_bayes(x, means, covs, priors):
    dens = np.stack([multivariate_normal(m, S).pdf(x) for m, S in zip(means, covs)], 1) * priors
    return dens / dens.sum(1, keepdims=True)


@pytest.mark.syllabus("foundations.bayes_posterior")
def test_bayes_rule_sums_to_one_prior_when_uninformative_and_hand_example():
    g = torch.Generator().manual_seed(0)
    post = bayes_posterior(torch.randn(10, 3, generator=g, dtype=torch.float64),
                           torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64))
    torch.testing.assert_close(post.sum(1), torch.ones(10, dtype=torch.float64))
    priors = torch.tensor([0.7, 0.3], dtype=torch.float64)
    flat = bayes_posterior(torch.full((4, 2), -3.2, dtype=torch.float64), priors)
    torch.testing.assert_close(flat, priors.expand(4, 2), rtol=0, atol=1e-12)
    # P(x|C1) = 0.2, P(x|C2) = 0.05, priors 0.4 / 0.6: P(C1|x) = 0.08 / (0.08 + 0.03) = 8/11
    lik = torch.tensor([[0.2, 0.05]], dtype=torch.float64).log()
    p = bayes_posterior(lik, torch.tensor([0.4, 0.6], dtype=torch.float64))
    assert abs(p[0, 0].item() - 8 / 11) < 1e-12
    with pytest.raises(ValueError, match="priors"):
        bayes_posterior(lik, torch.tensor([0.5, 0.6], dtype=torch.float64))


@pytest.mark.syllabus("foundations.gaussian_generative_classifier")
@pytest.mark.parametrize("shared", [False, True])
def test_posteriors_equal_scipy_bayes(shared):
    m = GaussianClassifier(shared_covariance=shared).fit(torch.tensor(X), torch.tensor(Y))
    means = [X[Y == k].mean(0) for k in range(3)]
    covs = [np.cov(X[Y == k].T, bias=True) for k in range(3)]
    priors = np.bincount(Y) / len(Y)
    if shared:
        covs = [sum(p * S for p, S in zip(priors, covs))] * 3
    np.testing.assert_allclose(m.predict_proba(torch.tensor(X)).numpy(), scipy_bayes(X, means, covs, priors),
                               rtol=0, atol=1e-10)


@pytest.mark.syllabus("foundations.gaussian_generative_classifier")
def test_equal_sklearn_lda_and_qda():
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, Y)
    ours = GaussianClassifier(shared_covariance=True).fit(torch.tensor(X), torch.tensor(Y))
    np.testing.assert_allclose(ours.predict_proba(torch.tensor(X)).numpy(), lda.predict_proba(X), atol=1e-8)
    qda = QuadraticDiscriminantAnalysis().fit(X, Y)
    ours = GaussianClassifier().fit(torch.tensor(X), torch.tensor(Y))   # sklearn >= 1.x: MLE covariances
    np.testing.assert_allclose(ours.predict_proba(torch.tensor(X)).numpy(), qda.predict_proba(X), atol=1e-8)
    assert (ours.predict(torch.tensor(X)).numpy() == qda.predict(X)).all()
    with pytest.raises(ValueError, match="y"):
        GaussianClassifier().fit(torch.tensor(X), torch.tensor(Y[:5]))


@pytest.mark.syllabus("foundations.shared_cov_linear_posterior")
@pytest.mark.syllabus("foundations.gaussian_generative_classifier")
def test_shared_covariance_posterior_is_sigmoid_of_linear_closed_form():
    g = torch.Generator().manual_seed(3)
    mu1, mu2 = torch.randn(3, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
    A = torch.randn(3, 3, generator=g, dtype=torch.float64)
    S = A @ A.T + 0.3 * torch.eye(3, dtype=torch.float64)
    N1, N2 = 30, 70
    x = torch.randn(50, 3, generator=g, dtype=torch.float64) * 2
    Si = torch.linalg.inv(S)
    w = Si @ (mu1 - mu2)
    b = -0.5 * mu1 @ Si @ mu1 + 0.5 * mu2 @ Si @ mu2 + np.log(N1 / N2)
    ref = scipy_bayes(x.numpy(), [mu1.numpy(), mu2.numpy()], [S.numpy()] * 2, np.array([N1, N2]) / 100)[:, 0]
    np.testing.assert_allclose(torch.sigmoid(x @ w + b).numpy(), ref, rtol=0, atol=1e-10)
    W, bb = shared_cov_linear_posterior(torch.stack([mu1, mu2]), S, torch.tensor([0.3, 0.7], dtype=torch.float64))
    np.testing.assert_allclose(torch.softmax(x @ W.T + bb, 1)[:, 0].numpy(), ref, rtol=0, atol=1e-10)
    # the fitted shared-covariance classifier has exactly this linear form
    clf = GaussianClassifier(shared_covariance=True).fit(torch.tensor(X), torch.tensor(Y))
    W, bb = clf.linear_form()
    np.testing.assert_allclose(torch.softmax(torch.tensor(X) @ W.T + bb, 1).numpy(),
                               clf.predict_proba(torch.tensor(X)).numpy(), rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="shared_covariance"):
        GaussianClassifier().fit(torch.tensor(X), torch.tensor(Y)).linear_form()
