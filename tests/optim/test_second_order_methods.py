import numpy as np
import pytest
import torch
import torch.nn.functional as F

from deepnotes.autodiff import hessian, hvp
from deepnotes.optim import (Newton, SGD, classify_critical_point, minimum_ratio, negative_curvature_direction,
                             saddle_escape_step, sharpness)


@pytest.mark.syllabus("optimization.newton_method")
def test_one_newton_step_lands_on_the_quadratic_minimiser():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(5, 5, generator=g, dtype=torch.float64)
    A, b = M @ M.T + 5 * torch.eye(5, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
    x = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    Newton([x], lr=1.0).step(lambda: 0.5 * x @ A @ x - b @ x)
    assert torch.allclose(x.detach(), torch.linalg.solve(A, b), rtol=0, atol=1e-12)


@pytest.mark.syllabus("optimization.newton_method")
def test_newton_logistic_regression_on_breast_cancer_matches_gd_optimum():
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer()
    X = torch.tensor(d.data, dtype=torch.float64)
    X = (X - X.mean(0)) / X.std(0)
    y = torch.tensor(d.target, dtype=torch.float64)
    lam = 1e-2                                              # L2 keeps the optimum finite (separable data)

    def loss_of(w, b):
        return F.binary_cross_entropy_with_logits(X @ w + b, y) + lam / 2 * (w @ w)

    w, b = torch.zeros(30, dtype=torch.float64, requires_grad=True), torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = Newton([w, b])
    for it in range(1, 20):
        opt.step(lambda: loss_of(w, b))
        (gw, gb) = torch.autograd.grad(loss_of(w, b), [w, b])
        if torch.cat([gw, gb]).norm() < 1e-10:
            break
    assert it < 10
    w2, b2 = torch.zeros(30, dtype=torch.float64, requires_grad=True), torch.zeros(1, dtype=torch.float64, requires_grad=True)
    gd = SGD([w2, b2], lr=1.0, momentum=0.9, nesterov=True)
    for _ in range(700):
        gd.zero_grad()
        loss_of(w2, b2).backward()
        gd.step()
    assert torch.allclose(w.detach(), w2.detach(), atol=1e-6) and torch.allclose(b.detach(), b2.detach(), atol=1e-6)


def _saddle(w):
    return (1 - w[0] * w[1]) ** 2


@pytest.mark.syllabus("optimization.critical_point_classification")
def test_saddle_of_one_minus_w1w2_squared():
    origin = torch.zeros(2, dtype=torch.float64)
    w = origin.clone().requires_grad_()
    (g,) = torch.autograd.grad(_saddle(w), w)
    assert torch.equal(g, torch.zeros(2, dtype=torch.float64))
    H = hessian(_saddle, origin)
    assert torch.allclose(H, torch.tensor([[0.0, -2.0], [-2.0, 0.0]], dtype=torch.float64))
    assert torch.allclose(torch.linalg.eigvalsh(H), torch.tensor([-2.0, 2.0], dtype=torch.float64))
    assert classify_critical_point(H) == "saddle"
    assert classify_critical_point(torch.diag(torch.tensor([1.0, 3.0]))) == "minimum"
    assert classify_critical_point(torch.diag(torch.tensor([-1.0, -3.0]))) == "maximum"


@pytest.mark.syllabus("optimization.critical_point_classification")
def test_second_order_taylor_error_scales_as_h_cubed():
    f = lambda w: torch.exp(w[0]) * torch.sin(w[1]) + w[0] ** 3 * w[1]  # noqa: E731
    p = torch.tensor([0.2, 0.4], dtype=torch.float64)
    pg = p.clone().requires_grad_()
    (g,) = torch.autograd.grad(f(pg), pg)
    H = hessian(f, p)
    d = torch.tensor([0.6, -0.8], dtype=torch.float64)
    errs = []
    for h in (1e-1, 5e-2, 2.5e-2):
        step = h * d
        errs.append(abs(f(p + step) - (f(p) + g @ step + 0.5 * step @ H @ step)).item())
    ratios = [errs[i] / errs[i + 1] for i in range(2)]
    assert all(7.0 < r < 9.0 for r in ratios), ratios          # halving h divides the error by ~8


@pytest.mark.syllabus("optimization.saddle_escape")
def test_escape_along_negative_curvature_lowers_the_loss():
    origin = torch.zeros(2, dtype=torch.float64)
    H = hessian(_saddle, origin)
    lam, u = negative_curvature_direction(H)
    assert lam == pytest.approx(-2.0)
    assert torch.allclose(u.abs(), torch.full((2,), 2 ** -0.5, dtype=torch.float64))
    new = saddle_escape_step(origin, H, alpha=0.1)
    assert _saddle(origin).item() == 1.0 and _saddle(new).item() < 1.0
    with pytest.raises(ValueError, match="negative eigenvalue"):
        saddle_escape_step(origin, torch.eye(2, dtype=torch.float64))


@pytest.mark.syllabus("optimization.minimum_ratio")
def test_minimum_ratio():
    assert minimum_ratio(torch.diag(torch.tensor([3.0, 1.0, -1.0, -2.0]))) == 0.5
    # a tiny MLP trained to a strict local minimum (L2 makes it strict): ratio 1
    torch.manual_seed(0)
    x, y = torch.randn(20, 2, dtype=torch.float64), torch.randn(20, 1, dtype=torch.float64)
    w = (torch.randn(2 * 3 + 3 + 3 + 1, dtype=torch.float64) * 0.5).requires_grad_()

    def loss(t):
        W1, b1, W2, b2 = t[:6].view(3, 2), t[6:9], t[9:12].view(1, 3), t[12:]
        return ((torch.tanh(x @ W1.T + b1) @ W2.T + b2 - y) ** 2).mean() + 1e-2 * (t @ t)

    opt = Newton([w], damping=1e-3)
    sgd = SGD([w], lr=0.2, momentum=0.9)
    for _ in range(500):                       # get near a minimum, then polish with Newton
        sgd.zero_grad()
        loss(w).backward()
        sgd.step()
    for _ in range(10):
        opt.step(lambda: loss(w))
    H = hessian(loss, w.detach())
    assert classify_critical_point(H) == "minimum" and minimum_ratio(H) == 1.0


@pytest.mark.syllabus("optimization.sharpness")
def test_power_iteration_sharpness_equals_eigvalsh_using_only_hvps():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(8, 8, generator=g, dtype=torch.float64)
    for A in (M @ M.T, M + M.T):                       # PSD, and indefinite
        calls = []

        def hv(v, A=A):
            calls.append(1)
            return hvp(lambda x: 0.5 * x @ A @ x, torch.zeros(8, dtype=torch.float64), v)

        lam = sharpness(hv, 8, iters=1000, generator=g)
        top = float(np.linalg.eigvalsh(A.numpy()).max())
        assert lam == pytest.approx(top, rel=1e-4, abs=1e-4)
        assert calls                                    # the matrix itself is never formed
