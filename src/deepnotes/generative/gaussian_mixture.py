"""Gaussian mixture model fitted by expectation-maximisation.

Syllabus: generative.gaussian_mixture. Notes: 003 L12.06.

    p(x) = sum_k pi_k N(x; mu_k, Sigma_k)
    E step: r_ik = pi_k N(x_i; mu_k, Sigma_k) / sum_j pi_j N(x_i; mu_j, Sigma_j)
    M step: N_k = sum_i r_ik,  pi_k = N_k / n,  mu_k = sum_i r_ik x_i / N_k,
            Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg I
EM never decreases the log-likelihood. Same updates (and reg_covar) as sklearn.mixture.GaussianMixture.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["GaussianMixture"]


@syllabus("generative.gaussian_mixture")
class GaussianMixture:
    """Full-covariance GMM; ``fit(x, means_init=None)`` records ``log_likelihoods_`` per iteration."""

    def __init__(self, n_components: int, max_iter: int = 100, tol: float = 1e-8, reg_covar: float = 1e-6,
                 seed: int = 0):
        expect(n_components >= 1, "n_components", "a positive int", n_components)
        self.n_components, self.max_iter, self.tol, self.reg_covar, self.seed = n_components, max_iter, tol, reg_covar, seed

    def _log_joint(self, x: torch.Tensor) -> torch.Tensor:
        dist = torch.distributions.MultivariateNormal(self.means_, covariance_matrix=self.covariances_)
        return dist.log_prob(x.unsqueeze(1)) + self.weights_.log()              # (N, K)

    def _m_step(self, x: torch.Tensor, r: torch.Tensor) -> None:
        nk = r.sum(0) + 10 * torch.finfo(x.dtype).eps                           # (K,)
        self.weights_ = nk / len(x)
        self.means_ = (r.T @ x) / nk[:, None]                                   # (K, D)
        diff = x.unsqueeze(1) - self.means_                                     # (N, K, D)
        cov = torch.einsum("nk,nkd,nke->kde", r, diff, diff) / nk[:, None, None]
        self.covariances_ = cov + self.reg_covar * torch.eye(x.shape[1], dtype=x.dtype)

    def fit(self, x: torch.Tensor, means_init: torch.Tensor | None = None, weights_init: torch.Tensor | None = None,
            covariances_init: torch.Tensor | None = None) -> "GaussianMixture":
        expect(x.dim() == 2, "x", "a (N, D) tensor", tuple(x.shape))
        x = x.double()
        k = self.n_components
        if means_init is None:
            g = torch.Generator().manual_seed(self.seed)
            means_init = x[torch.randperm(len(x), generator=g)[:k]]
        expect(means_init.shape == (k, x.shape[1]), "means_init", f"shape ({k}, {x.shape[1]})", tuple(means_init.shape))
        # initial responsibilities: hard assignment to the nearest initial mean (as sklearn with means_init)
        r = torch.nn.functional.one_hot(torch.cdist(x, means_init.double()).argmin(1), k).double()
        self._m_step(x, r)
        self.means_ = means_init.double().clone()
        if weights_init is not None:
            self.weights_ = weights_init.double().clone()
        if covariances_init is not None:
            self.covariances_ = covariances_init.double().clone()
        self.log_likelihoods_ = []
        for _ in range(self.max_iter):
            lj = self._log_joint(x)                                              # (N, K)
            ll = torch.logsumexp(lj, 1).mean()
            self.log_likelihoods_.append(ll.item())
            if len(self.log_likelihoods_) > 1 and abs(self.log_likelihoods_[-1] - self.log_likelihoods_[-2]) < self.tol:
                break
            self._m_step(x, torch.softmax(lj, 1))
        return self

    def score_samples(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) per row, (N,)."""
        return torch.logsumexp(self._log_joint(x.double()), 1)

    def score(self, x: torch.Tensor) -> float:
        return self.score_samples(x).mean().item()
