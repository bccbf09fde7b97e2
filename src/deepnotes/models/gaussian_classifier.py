"""Generative classification: Bayes' rule with Gaussian class-conditionals.

Syllabus: foundations.bayes_posterior, foundations.gaussian_generative_classifier,
foundations.shared_cov_linear_posterior. Notes: 000 L2.62-L2.64, L2.67-L2.69, L2.72-L2.74, L2.86.

Bayes' rule with priors from class counts:

    P(C_k | x) = P(x | C_k) P(C_k) / sum_j P(x | C_j) P(C_j),   P(C_k) = N_k / N

computed as a softmax of the log-joint log P(x | C_k) + log P(C_k) (stable for tiny densities).
The Gaussian classifier fits N(mu_k, S_k) to each class by maximum likelihood; the shared
variant uses one S = sum_k (N_k / N) S_k for every class. With a shared S the quadratic terms
cancel and the posterior is linear inside a softmax:

    z_k = w_k^T x + b_k,  w_k = S^-1 mu_k,  b_k = -mu_k^T S^-1 mu_k / 2 + ln P(C_k)
    two classes: P(C_1 | x) = sigmoid(w^T x + b),  w = S^-1 (mu_1 - mu_2),
                 b = -mu_1^T S^-1 mu_1 / 2 + mu_2^T S^-1 mu_2 / 2 + ln(N_1 / N_2)

which is logistic regression's functional form. Errata: 000 L2.73 misplaces a -1/2 in the middle
line of the log-ratio expansion; the result above is the correct one.
Equal to scipy-density Bayes, sklearn LDA(solver='lsqr') and QDA (with ``ddof=1``)
(tests/models/test_gaussian_classifier.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus
from .gaussian_density import gaussian_log_density

__all__ = ["bayes_posterior", "GaussianClassifier", "shared_cov_linear_posterior"]


@syllabus("foundations.bayes_posterior")
def bayes_posterior(log_likelihood: Tensor, priors: Tensor) -> Tensor:
    """P(C_k | x) from log P(x | C_k) (N, K) and priors (K,): normalised likelihood x prior."""
    expect(isinstance(log_likelihood, Tensor) and log_likelihood.dim() == 2, "log_likelihood",
           "a tensor of shape (N, K)", tuple(getattr(log_likelihood, "shape", ())))
    K = log_likelihood.shape[1]
    expect(priors.shape == (K,) and bool((priors >= 0).all()) and abs(priors.sum().item() - 1) < 1e-6,
           "priors", f"a probability vector of shape ({K},)", priors)
    log_joint = log_likelihood + priors.log()                  # (N, K)
    return torch.softmax(log_joint, dim=1)                     # divides by P(x) = sum_k joint


@syllabus("foundations.shared_cov_linear_posterior")
def shared_cov_linear_posterior(means: Tensor, cov: Tensor, priors: Tensor) -> tuple[Tensor, Tensor]:
    """(W (K, D), b (K,)) with P(C_k | x) = softmax(W x + b)_k for Gaussians sharing ``cov``.

    For two classes, sigmoid(w^T x + b) with w = W[0] - W[1], b = b[0] - b[1].
    """
    K, D = means.shape
    expect(cov.shape == (D, D), "cov", f"shape ({D}, {D})", tuple(cov.shape))
    expect(priors.shape == (K,), "priors", f"shape ({K},)", tuple(priors.shape))
    W = torch.linalg.solve(cov, means.T).T                     # (K, D) rows S^-1 mu_k
    b = -0.5 * (W * means).sum(1) + priors.log()               # (K,)
    return W, b


@syllabus("foundations.gaussian_generative_classifier")
class GaussianClassifier:
    """Gaussian class-conditionals fitted by MLE; ``shared_covariance`` for the linear variant.

    ``ddof=0`` is the MLE (the notes); ``ddof=1`` divides by N_k - 1 (scikit-learn's QDA).
    After ``fit``: ``classes_``, ``priors_`` (K,), ``means_`` (K, D), ``covariances_`` (K, D, D).
    """

    def __init__(self, shared_covariance: bool = False, ddof: int = 0):
        expect(ddof in (0, 1), "ddof", "0 (MLE) or 1 (unbiased)", ddof)
        self.shared_covariance, self.ddof = shared_covariance, ddof

    def fit(self, x: Tensor, y: Tensor) -> "GaussianClassifier":
        expect(isinstance(x, Tensor) and x.dim() == 2, "x", "a tensor of shape (N, D)",
               tuple(getattr(x, "shape", ())))
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1], "y", f"labels of shape ({x.shape[0]},)",
               tuple(getattr(y, "shape", ())))
        x = x.double()
        self.classes_ = y.unique()
        counts = torch.stack([(y == c).sum() for c in self.classes_]).double()   # (K,)
        expect(bool((counts > self.ddof).all()), "y", f"more than {self.ddof} example(s) per class",
               counts.tolist())
        self.priors_ = counts / len(y)
        self.means_ = torch.stack([x[y == c].mean(0) for c in self.classes_])    # (K, D)
        covs = []
        for c, mu, n in zip(self.classes_, self.means_, counts):
            d = x[y == c] - mu                                                   # (N_k, D)
            covs.append(d.T @ d / (n - self.ddof))
        covs = torch.stack(covs)                                                 # (K, D, D)
        if self.shared_covariance:
            covs = (self.priors_[:, None, None] * covs).sum(0).expand_as(covs).clone()
        self.covariances_ = covs
        return self

    def log_likelihood(self, x: Tensor) -> Tensor:
        """log P(x | C_k), shape (N, K)."""
        expect(hasattr(self, "means_"), "self", "a fitted classifier (call fit first)", "unfitted", RuntimeError)
        x = x.double()
        return torch.stack([gaussian_log_density(x, m, S) for m, S in zip(self.means_, self.covariances_)], 1)

    def predict_proba(self, x: Tensor) -> Tensor:
        return bayes_posterior(self.log_likelihood(x), self.priors_)

    def predict(self, x: Tensor) -> Tensor:
        return self.classes_[self.predict_proba(x).argmax(1)]

    def linear_form(self) -> tuple[Tensor, Tensor]:
        """(W, b) of the shared-covariance posterior softmax(W x + b)."""
        expect(self.shared_covariance, "shared_covariance", "True (the posterior is linear only then)",
               self.shared_covariance)
        return shared_cov_linear_posterior(self.means_, self.covariances_[0], self.priors_)
