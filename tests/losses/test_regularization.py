import pytest
import torch

from deepnotes.losses import l1_penalty, l2_penalty, mse_loss, soft_threshold

@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


g = torch.Generator().manual_seed(8)


@pytest.mark.syllabus("foundations.l2_regularization")
def test_sgd_weight_decay_equals_sgd_on_penalised_loss_step_by_step():
    x = torch.randn(32, 4, generator=g, dtype=torch.float64)
    y = torch.randn(32, 1, generator=g, dtype=torch.float64)
    a = torch.nn.Linear(4, 1).double()
    b = torch.nn.Linear(4, 1).double()
    b.load_state_dict(a.state_dict())
    lam = 0.1
    opt_a = torch.optim.SGD(a.parameters(), lr=0.05, weight_decay=lam)
    opt_b = torch.optim.SGD(b.parameters(), lr=0.05)
    for _ in range(20):
        opt_a.zero_grad(); mse_loss(a(x), y).backward(); opt_a.step()
        opt_b.zero_grad(); (mse_loss(b(x), y) + lam * l2_penalty(b.parameters())).backward(); opt_b.step()
        torch.testing.assert_close(a.weight, b.weight, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(a.bias, b.bias, rtol=1e-12, atol=1e-14)


@pytest.mark.syllabus("foundations.l2_regularization")
def test_l2_is_gaussian_prior_negative_log_density_up_to_constant():
    w = torch.randn(10, generator=g, dtype=torch.float64)
    s = 0.7
    prior = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), s).log_prob(w).sum()
    const = -prior - l2_penalty(w) / s**2
    w2 = torch.randn(10, generator=g, dtype=torch.float64)
    const2 = -torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), s).log_prob(w2).sum() - l2_penalty(w2) / s**2
    assert abs(const - const2) < 1e-12


@pytest.mark.syllabus("foundations.l1_regularization")
def test_l1_penalty_and_soft_threshold_is_the_prox():
    w = torch.tensor([-2.0, -0.3, 0.0, 0.4, 1.5], dtype=torch.float64)
    assert l1_penalty([w, w[:2]]).item() == pytest.approx(4.2 + 2.3)
    t = 0.5
    out = soft_threshold(w, t)
    torch.testing.assert_close(out, torch.tensor([-1.5, 0.0, 0.0, 0.0, 1.0], dtype=torch.float64))
    # prox definition: argmin_u (u - v)^2 / 2 + t |u|, checked by brute force on a grid
    grid = torch.linspace(-3, 3, 60001, dtype=torch.float64)
    for v, o in zip(w, out):
        obj = 0.5 * (grid - v) ** 2 + t * grid.abs()
        assert abs(grid[obj.argmin()] - o) < 1e-4
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold(w, -1.0)
    with pytest.raises(ValueError, match="params"):
        l1_penalty([])
