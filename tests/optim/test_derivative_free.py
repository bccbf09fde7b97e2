import pytest
import torch

from deepnotes.optim import DualGradientDescent, EvolutionStrategies, RandomSearch, es_gradient, golden_line_search


def _quadratic(seed=0, n=10):
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    A = Q @ torch.diag(torch.linspace(1.0, 3.0, n, dtype=torch.float64)) @ Q.T
    b = torch.randn(n, generator=g, dtype=torch.float64)
    xstar = torch.linalg.solve(A, b)
    fstar = -0.5 * b @ xstar
    return A, b, (lambda x: 0.5 * x @ A @ x - b @ x - fstar)      # f >= 0, f(x*) = 0


@pytest.mark.syllabus("optimization.random_search")
def test_line_search_is_exact_on_quadratics():
    A, b, f = _quadratic()
    x = torch.ones(10, dtype=torch.float64)
    v = torch.randn(10, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    v = v / v.norm()
    eta, _ = golden_line_search(lambda e: f(x + e * v).item())
    exact = -(v @ (A @ x - b)) / (v @ A @ v)
    assert eta == pytest.approx(exact.item(), abs=1e-6)


@pytest.mark.syllabus("optimization.random_search")
def test_random_search_decreases_monotonically_to_1e_minus_6():
    A, b, f = _quadratic()
    x = torch.zeros(10, dtype=torch.float64)
    opt = RandomSearch([x], generator=torch.Generator().manual_seed(0))
    values = [f(x).item()]
    for _ in range(2000):
        values.append(opt.step(lambda: f(x)).item())
        if values[-1] < 1e-6:
            break
    assert values[-1] < 1e-6
    assert all(b <= a + 1e-15 for a, b in zip(values, values[1:]))


@pytest.mark.syllabus("optimization.random_search")
def test_naive_random_search_keeps_only_improvements():
    A, b, f = _quadratic()
    x = torch.zeros(10, dtype=torch.float64)
    opt = RandomSearch([x], sigma=0.05, line_search=False, generator=torch.Generator().manual_seed(0))
    values = [f(x).item()] + [opt.step(lambda: f(x)).item() for _ in range(300)]
    assert all(b <= a for a, b in zip(values, values[1:])) and values[-1] < 0.5 * values[0]


@pytest.mark.syllabus("optimization.evolution_strategies")
def test_es_estimator_is_unbiased_on_a_quadratic():
    A, b, _ = _quadratic(n=5)
    f = lambda X: 0.5 * ((X @ A) * X).sum(1) - X @ b  # noqa: E731  (P, 5) -> (P,)
    theta = torch.tensor([0.5, -1.0, 0.3, 0.0, 2.0], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([es_gradient(f, theta, sigma=0.3, pairs=1, generator=g) for _ in range(10_000)])
    mean, se = draws.mean(0), draws.std(0) / 100
    true = A @ theta - b
    assert ((mean - true).abs() < 3 * se).all(), (mean, true, se)


@pytest.mark.syllabus("optimization.evolution_strategies")
def test_es_maximises_a_concave_quadratic():
    g = torch.Generator().manual_seed(1)
    target = torch.randn(20, generator=g, dtype=torch.float64)
    reward = lambda X: -((X - target) ** 2).sum(1)  # noqa: E731   max 0 at target
    theta = torch.zeros(20, dtype=torch.float64)
    opt = EvolutionStrategies([theta], lr=0.05, sigma=0.05, pairs=50, rank_normalize=False, maximize=True,
                              generator=g)
    for _ in range(400):
        opt.step(reward)
    assert -reward(theta[None]).item() < 1e-3


@pytest.mark.syllabus("optimization.dual_gradient_descent")
def test_dual_gradient_descent_finds_x_1_lambda_2():
    x = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    opt = DualGradientDescent([x], lr=0.1, dual_lr=0.5, inner_steps=20)
    for _ in range(200):
        opt.step(lambda: ((x ** 2).sum(), (1 - x).sum()))
    assert x.item() == pytest.approx(1.0, abs=1e-3)
    assert opt.param_groups[0]["multiplier"] == pytest.approx(2.0, abs=1e-3)


def test_bad_arguments_name_the_argument():
    x = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="sigma"):
        EvolutionStrategies([x], sigma=0.0)
    with pytest.raises(TypeError, match="closure"):
        RandomSearch([x]).step()
    with pytest.raises(ValueError, match="dual_lr"):
        DualGradientDescent([x], dual_lr=-1.0)
