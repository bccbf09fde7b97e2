"""Naive Bayes: class-conditionals that factorise over features (Gaussian or Bernoulli).

Syllabus: foundations.naive_bayes. Notes: 000 L2.71, L2.84.

    P(x | C_k) = prod_j P(x_j | C_k),     P(C_k | x) by Bayes' rule with priors N_k / N

Gaussian factors N(x_j; mu_kj, s_kj^2) are a Gaussian classifier with diagonal covariances
(MLE variances, 1/N_k). Bernoulli factors p_kj^x_j (1 - p_kj)^(1 - x_j) with p_kj the fraction
of class k having feature j on; ``alpha`` > 0 adds Laplace smoothing (alpha = 0 is the MLE of
the notes). The notes' toy, C1 = {(1,1)} against C2 = 4 x (1,0), 4 x (0,1), 4 x (0,0), gives
P(C1 | (1,1)) = 3/7 although (1,1) never occurs in C2: the factorisation assumes independence.
Equal to sklearn GaussianNB(var_smoothing=0) (tests/models/test_naive_bayes.py).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ..core import expect, syllabus
from .gaussian_classifier import bayes_posterior

__all__ = ["GaussianNaiveBayes", "BernoulliNaiveBayes"]


class _NaiveBayes:
    def _fit_counts(self, x: Tensor, y: Tensor) -> Tensor:
        expect(isinstance(x, Tensor) and x.dim() == 2, "x", "a tensor of shape (N, D)",
               tuple(getattr(x, "shape", ())))
        expect(isinstance(y, Tensor) and y.shape == x.shape[:1], "y", f"labels of shape ({x.shape[0]},)",
               tuple(getattr(y, "shape", ())))
        self.classes_ = y.unique()
        counts = torch.stack([(y == c).sum() for c in self.classes_]).double()   # (K,)
        self.priors_ = counts / len(y)
        return counts

    def log_likelihood(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def predict_proba(self, x: Tensor) -> Tensor:
        expect(hasattr(self, "priors_"), "self", "a fitted model (call fit first)", "unfitted", RuntimeError)
        return bayes_posterior(self.log_likelihood(x.double()), self.priors_)

    def predict(self, x: Tensor) -> Tensor:
        return self.classes_[self.predict_proba(x).argmax(1)]


@syllabus("foundations.naive_bayes")
class GaussianNaiveBayes(_NaiveBayes):
    """Per-class, per-feature Gaussians; ``means_`` and ``variances_`` (K, D) after fit."""

    def fit(self, x: Tensor, y: Tensor) -> "GaussianNaiveBayes":
        self._fit_counts(x, y)
        x = x.double()
        self.means_ = torch.stack([x[y == c].mean(0) for c in self.classes_])                   # (K, D)
        self.variances_ = torch.stack([x[y == c].var(0, correction=0) for c in self.classes_])  # (K, D)
        expect(bool((self.variances_ > 0).all()), "x", "features that vary within every class",
               "a zero within-class variance")
        return self

    def log_likelihood(self, x: Tensor) -> Tensor:
        d = x[:, None, :] - self.means_                          # (N, K, D)
        per_feature = -0.5 * (math.log(2 * math.pi) + self.variances_.log() + d ** 2 / self.variances_)
        return per_feature.sum(-1)                               # (N, K) product -> sum of logs


@syllabus("foundations.naive_bayes")
class BernoulliNaiveBayes(_NaiveBayes):
    """Binary features; ``feature_prob_`` (K, D) = P(x_j = 1 | C_k) after fit."""

    def __init__(self, alpha: float = 0.0):
        expect(alpha >= 0, "alpha", "a non-negative smoothing count", alpha)
        self.alpha = alpha

    def fit(self, x: Tensor, y: Tensor) -> "BernoulliNaiveBayes":
        counts = self._fit_counts(x, y)
        expect(bool(((x == 0) | (x == 1)).all()), "x", "binary features in {0, 1}", x.unique().tolist())
        x = x.double()
        ones = torch.stack([x[y == c].sum(0) for c in self.classes_])           # (K, D)
        self.feature_prob_ = (ones + self.alpha) / (counts[:, None] + 2 * self.alpha)
        return self

    def log_likelihood(self, x: Tensor) -> Tensor:
        p = self.feature_prob_                                                   # (K, D)
        # xlogy keeps 0 * log 0 = 0 for features that never (or always) fire in a class
        return (torch.xlogy(x[:, None, :], p) + torch.xlogy(1 - x[:, None, :], 1 - p)).sum(-1)
