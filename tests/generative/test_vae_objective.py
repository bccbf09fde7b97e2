"""Gaussian KL, decoder likelihoods, reparameterisation, ELBO, latent-variable MC, classic VI,
aggregate posterior, KL annealing: closed forms and torch.distributions as references."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from deepnotes.generative import (KLAnnealing, aggregate_posterior_moments, bernoulli_nll, categorical_nll,
                                  classic_vi, discretized_logistic_log_probs, elbo, gaussian_kl, gaussian_nll,
                                  kl_decomposition, mc_log_likelihood, pathwise_gradient, reparameterize,
                                  score_function_gradient)

g = torch.Generator().manual_seed(0)


@pytest.mark.syllabus("generative.gaussian_kl")
def test_gaussian_kl_equals_torch_distributions():
    mu, logvar = torch.randn(7, 5, generator=g, dtype=torch.float64), torch.randn(7, 5, generator=g, dtype=torch.float64)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), ref, atol=1e-7, rtol=0)
    torch.testing.assert_close(gaussian_kl(mu, logvar, "mean"), ref.mean())
    assert gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max() == 0
    assert (gaussian_kl(mu, logvar) > 0).all()
    with pytest.raises(ValueError, match="logvar"):
        gaussian_kl(mu, logvar[:, :2])


@pytest.mark.syllabus("generative.decoder_likelihoods")
def test_decoder_likelihoods_equal_references():
    x, m = torch.randn(4, 6, generator=g, dtype=torch.float64), torch.randn(4, 6, generator=g, dtype=torch.float64)
    torch.testing.assert_close(gaussian_nll(m, x, 0.7), -Normal(m, 0.7).log_prob(x).sum(1))
    torch.testing.assert_close(gaussian_nll(m, x), 0.5 * ((x - m) ** 2).sum(1) + 3 * math.log(2 * math.pi))
    b = (torch.rand(4, 6, generator=g) > 0.5).double()
    torch.testing.assert_close(bernoulli_nll(m, b, "sum"), F.binary_cross_entropy_with_logits(m, b, reduction="sum"))
    logits, y = torch.randn(4, 256, 3, generator=g), torch.randint(256, (4, 3), generator=g)
    torch.testing.assert_close(categorical_nll(logits, y, "sum"), F.cross_entropy(logits, y, reduction="sum"))
    lp = discretized_logistic_log_probs(torch.randn(5, generator=g, dtype=torch.float64) * 0.5,
                                        torch.randn(5, generator=g, dtype=torch.float64) - 2)
    torch.testing.assert_close(lp.exp().sum(-1), torch.ones(5, dtype=torch.float64), atol=1e-9, rtol=0)
    with pytest.raises(ValueError, match="std"):
        gaussian_nll(m, x, -1.0)


@pytest.mark.syllabus("generative.reparameterization")
def test_reparameterization_rsample_gradients_and_variance():
    mu, logvar = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    eps = torch.randn(3, 4, generator=g)
    torch.manual_seed(3)
    ref = Normal(mu, (0.5 * logvar).exp()).rsample()
    torch.manual_seed(3)
    torch.testing.assert_close(reparameterize(mu, logvar, torch.randn(3, 4)), ref)
    assert reparameterize(mu, logvar, eps).shape == (3, 4)
    mu0, s0 = torch.tensor([0.7], dtype=torch.float64), torch.tensor([1.3], dtype=torch.float64)
    f = lambda z: (z ** 2).sum(-1)                                        # E z^2 = mu^2 + s^2
    pw = pathwise_gradient(f, mu0, s0, 4000, generator=torch.Generator().manual_seed(1))[:, :, 0]   # (n, 2)
    sf = score_function_gradient(f, mu0, s0, 4000, generator=torch.Generator().manual_seed(1))[:, :, 0]
    truth = torch.tensor([2 * 0.7, 2 * 1.3], dtype=torch.float64)
    for est in (pw, sf):
        se = est.std(0) / math.sqrt(len(est))
        assert ((est.mean(0) - truth).abs() < 3 * se).all(), (est.mean(0), truth, se)
    assert (pw.var(0) < sf.var(0)).all()


def conjugate_log_joint(x):
    # z ~ N(0, 1), x | z ~ N(z, 1): log p(x, z)
    return lambda z: (Normal(z, 1.0).log_prob(x[:, None]) + Normal(0.0, 1.0).log_prob(z)).sum(-1)


@pytest.mark.syllabus("generative.elbo")
def test_elbo_bounds_and_equals_log_evidence_at_posterior():
    x = torch.tensor([-1.5, 0.2, 2.0], dtype=torch.float64)
    log_px = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64).sqrt()).log_prob(x)  # N(0, 2)
    mu_post, lv_post = (x / 2)[:, None], torch.full((3, 1), math.log(0.5), dtype=torch.float64)
    at_post = elbo(conjugate_log_joint(x), mu_post, lv_post, 16, torch.Generator().manual_seed(0))
    torch.testing.assert_close(at_post, log_px, atol=1e-9, rtol=0)
    for _ in range(5):
        mu, lv = torch.randn(3, 1, generator=g, dtype=torch.float64), torch.randn(3, 1, generator=g, dtype=torch.float64)
        est = elbo(conjugate_log_joint(x), mu, lv, 20000, torch.Generator().manual_seed(1))
        m, v = mu[:, 0], lv[:, 0].exp()
        exact = (-0.5 * ((x - m) ** 2 + v) - 0.5 * (m ** 2 + v) - math.log(2 * math.pi)
                 + 0.5 * torch.log(2 * math.pi * math.e * v))               # closed-form ELBO
        torch.testing.assert_close(est, exact, atol=0.05, rtol=0.02)   # MC error
        assert (exact <= log_px + 1e-12).all()
        # log p(x) = ELBO + KL(q || posterior)
        kl = kl_divergence(Normal(m, v.sqrt()), Normal(x / 2, torch.full_like(x, 0.5).sqrt()))
        torch.testing.assert_close(exact + kl, log_px, atol=1e-12, rtol=0)


@pytest.mark.syllabus("generative.latent_variable_model")
def test_mc_log_likelihood_linear_gaussian():
    gg = torch.Generator().manual_seed(2)
    w, sigma = torch.randn(3, 2, generator=gg, dtype=torch.float64), 0.8
    x = torch.randn(4, 3, generator=gg, dtype=torch.float64)
    exact = torch.distributions.MultivariateNormal(torch.zeros(3, dtype=torch.float64),
                                                   w @ w.T + sigma ** 2 * torch.eye(3, dtype=torch.float64)).log_prob(x)

    def loglik(z):                                                         # z (M, d) or (M, B, d) -> (M, B)
        mean = z @ w.T                                                     # (M, [B,] 3)
        if z.dim() == 2:
            mean = mean[:, None]
        return Normal(mean, sigma).log_prob(x).sum(-1)
    est = mc_log_likelihood(loglik, 2, 100_000, generator=gg)
    assert (est - exact).abs().max() < 0.05
    # importance weighted with the exact posterior: every weight equals p(x) -> exact
    prec = w.T @ w / sigma ** 2 + torch.eye(2, dtype=torch.float64)
    cov = torch.linalg.inv(prec)
    post_mean = (x @ w / sigma ** 2) @ cov                                 # (B, 2)
    # a diagonal proposal is not exact when cov is not diagonal; it is still unbiased and close
    q = Normal(post_mean, cov.diagonal().sqrt().expand(4, 2))
    iw = mc_log_likelihood(loglik, 2, 5000, proposal=q, generator=gg)
    assert (iw - exact).abs().max() < 0.02


@pytest.mark.syllabus("generative.classic_vi")
def test_classic_vi_finds_exact_posterior():
    x = torch.tensor([-2.0, -0.3, 0.9, 3.0], dtype=torch.float64)
    # z ~ N(0, 1), x | z ~ N(z, 1): log p(x, z) up to a constant; exact posterior N(x/2, 1/2)
    mu, sigma = classic_vi(lambda z: (-0.5 * (x[:, None] - z) ** 2 - 0.5 * z ** 2).sum(-1),
                           4, 1, steps=120, lr=0.1, n_samples=65536, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(mu[:, 0], x / 2, atol=1e-3, rtol=0)
    torch.testing.assert_close(sigma[:, 0] ** 2, torch.full((4,), 0.5, dtype=torch.float64), atol=1e-3, rtol=0)


@pytest.mark.syllabus("generative.aggregate_posterior")
def test_kl_decomposition_exact_on_discrete_toy():
    gg = torch.Generator().manual_seed(4)
    p_x = torch.softmax(torch.randn(4, generator=gg, dtype=torch.float64), 0)
    q = torch.softmax(torch.randn(4, 3, generator=gg, dtype=torch.float64), 1)
    p_z = torch.softmax(torch.randn(3, generator=gg, dtype=torch.float64), 0)
    out = kl_decomposition(p_x, q, p_z)
    # independent references: mutual information from the joint, KL via torch.distributions
    joint = p_x[:, None] * q
    qz = joint.sum(0)
    mi = (joint * (joint / (p_x[:, None] * qz[None])).log()).sum()
    cat = torch.distributions.Categorical
    avg = sum(p_x[i] * kl_divergence(cat(probs=q[i]), cat(probs=p_z)) for i in range(4))
    torch.testing.assert_close(out["mutual_information"], mi, atol=1e-12, rtol=0)
    torch.testing.assert_close(out["avg_kl"], avg, atol=1e-12, rtol=0)
    torch.testing.assert_close(out["marginal_kl"], kl_divergence(cat(probs=qz), cat(probs=p_z)), atol=1e-12, rtol=0)
    torch.testing.assert_close(out["avg_kl"], out["mutual_information"] + out["marginal_kl"], atol=1e-12, rtol=0)
    # moments of the Gaussian mixture aggregate against sampling from it
    mu, lv = torch.randn(50, 2, generator=gg, dtype=torch.float64), torch.randn(50, 2, generator=gg, dtype=torch.float64) * 0.3
    m, v = aggregate_posterior_moments(mu, lv)
    idx = torch.randint(50, (400_000,), generator=gg)
    s = mu[idx] + (0.5 * lv[idx]).exp() * torch.randn(400_000, 2, generator=gg, dtype=torch.float64)
    torch.testing.assert_close(m, s.mean(0), atol=0.01, rtol=0)
    torch.testing.assert_close(v, s.var(0), atol=0.02, rtol=0)


@pytest.mark.syllabus("generative.kl_annealing")
def test_kl_annealing_schedule():
    lin = KLAnnealing(100)
    assert [lin(s) for s in (0, 25, 99, 100, 500)] == [0.0, 0.25, 0.99, 1.0, 1.0]
    cyc = KLAnnealing(1, mode="cyclical", cycle=40, ratio=0.5)
    assert [cyc(s) for s in (0, 10, 20, 39, 40, 50)] == [0.0, 0.5, 1.0, 1.0, 0.0, 0.5]
    with pytest.raises(ValueError, match="cycle"):
        KLAnnealing(10, mode="cyclical")
    with pytest.raises(ValueError, match="warmup"):
        KLAnnealing(0)
