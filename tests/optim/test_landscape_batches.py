import math

import pytest
import torch

from deepnotes.optim import (SGD, epoch_batches, gradient_noise_scale, iterations_to_tolerance, loss_landscape_grid,
                             lr_grid_search, max_stable_lr, minibatch_gradient_variance, per_example_gradients,
                             quadratic_gd, train_epoch)


@pytest.mark.syllabus("optimization.minibatch_sgd")
def test_epoch_visits_every_example_once_in_ceil_n_over_b_updates():
    g = torch.Generator().manual_seed(0)
    for n, b in [(10, 3), (10, 10), (7, 1), (50, 16)]:
        batches = epoch_batches(n, b, generator=g)
        assert len(batches) == math.ceil(n / b)
        assert sorted(torch.cat(batches).tolist()) == list(range(n))
    model = torch.nn.Linear(3, 1).double()
    x, y = torch.randn(20, 3, dtype=torch.float64), torch.randn(20, 1, dtype=torch.float64)
    opt = SGD(model.parameters(), lr=0.1)
    assert train_epoch(model, torch.nn.functional.mse_loss, x, y, opt, 6, generator=g)["updates"] == 4


@pytest.mark.syllabus("optimization.minibatch_sgd")
def test_full_batch_epoch_equals_one_full_gradient_step():
    torch.manual_seed(0)
    a = torch.nn.Linear(3, 1).double()
    b = torch.nn.Linear(3, 1).double()
    b.load_state_dict(a.state_dict())
    x, y = torch.randn(20, 3, dtype=torch.float64), torch.randn(20, 1, dtype=torch.float64)
    train_epoch(a, torch.nn.functional.mse_loss, x, y, SGD(a.parameters(), lr=0.1), batch_size=20)
    torch.nn.functional.mse_loss(b(x), y).backward()
    with torch.no_grad():
        for p in b.parameters():
            p -= 0.1 * p.grad
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.allclose(p, q, rtol=0, atol=1e-15)


def _least_squares(n=20):
    g = torch.Generator().manual_seed(0)
    model = torch.nn.Linear(1, 1, bias=True).double()
    x = torch.randn(n, 1, generator=g, dtype=torch.float64)
    y = 2 * x + 0.5 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    return model, x, y


@pytest.mark.syllabus("optimization.minibatch_gradient_variance")
def test_per_example_gradients_mean_is_the_full_gradient_and_variance_is_sigma2_over_b():
    model, x, y = _least_squares()
    loss = torch.nn.functional.mse_loss
    G = per_example_gradients(model, loss, x, y)                          # (20, 2)
    model.zero_grad()
    loss(model(x), y).backward()
    full = torch.cat([model.weight.grad.reshape(-1), model.bias.grad])
    assert torch.allclose(G.mean(0), full, rtol=0, atol=1e-12)
    # exact enumeration of all 20^2 ordered batches of B = 2 drawn with replacement
    pairs = torch.cartesian_prod(torch.arange(20), torch.arange(20))
    gb = G[pairs].mean(1)
    assert torch.allclose(gb.mean(0), full, rtol=0, atol=1e-12)
    sigma2 = gradient_noise_scale(G)
    assert ((gb - full) ** 2).sum(1).mean().item() == pytest.approx(sigma2 / 2, rel=1e-12)
    gen = torch.Generator().manual_seed(0)
    for B in (1, 4, 16):
        _, var = minibatch_gradient_variance(G, B, num_batches=40_000, generator=gen)
        assert var == pytest.approx(sigma2 / B, rel=0.05)


@pytest.mark.syllabus("optimization.learning_rate_stability")
def test_divergence_above_two_over_lambda_max_and_iterations_grow_with_kappa():
    lam = (1.0, 100.0)
    assert max_stable_lr(lam) == pytest.approx(0.02)
    assert quadratic_gd(lam, 0.019, 2000)[-1] < 1e-6
    f = quadratic_gd(lam, 0.021, 200)
    assert f[-1] > f[0] * 1e3
    its = [iterations_to_tolerance((1.0, k), lr=1.0 / k) for k in (10.0, 100.0, 1000.0)]
    assert 8 < its[1] / its[0] < 12 and 8 < its[2] / its[1] < 12, its
    assert lr_grid_search(lam, [0.001, 0.005, 0.01, 0.015, 0.019, 0.021, 0.03]) == 0.019


@pytest.mark.syllabus("optimization.loss_landscape_grid")
def test_grid_equals_direct_evaluation_and_argmin_is_near_ols():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(50, generator=g, dtype=torch.float64) * 4 - 2
    y = 1.3 * x - 0.7 + 0.3 * torch.randn(50, generator=g, dtype=torch.float64)
    loss = lambda t: ((t[0] * x + t[1] - y) ** 2).mean()  # noqa: E731
    ws, bs = torch.linspace(-1, 3, 81, dtype=torch.float64), torch.linspace(-3, 1, 81, dtype=torch.float64)
    e1, e2 = torch.eye(2, dtype=torch.float64)
    S = loss_landscape_grid(loss, torch.zeros(2, dtype=torch.float64), e1, e2, ws, bs)
    assert S.shape == (81, 81)
    for i, j in [(0, 0), (40, 17), (80, 80)]:
        assert S[i, j].item() == loss(torch.stack([ws[i], bs[j]])).item()
    i, j = divmod(int(S.argmin()), 81)
    X = torch.stack([x, torch.ones_like(x)], 1)
    w_ols, b_ols = torch.linalg.lstsq(X, y[:, None]).solution.squeeze(1)
    assert abs(ws[i] - w_ols) <= 0.05 + 1e-12 and abs(bs[j] - b_ols) <= 0.05 + 1e-12
    batched = loss_landscape_grid(lambda T: ((T[:, :1] * x + T[:, 1:] - y) ** 2).mean(1),
                                  torch.zeros(2, dtype=torch.float64), e1, e2, ws, bs, batched=True)
    assert torch.allclose(batched, S, rtol=1e-12, atol=0)
