import pytest
import torch

from deepnotes.autodiff import hessian, hvp, model_hessian, model_hvp, model_loss_of_theta, symmetric_eig


def _f(x):
    return (x[0] ** 2 * x[1]).sin() + torch.exp(0.3 * x[2]) * x[0] + (x ** 4).sum() / 12


def _fd_hessian(f, x, h=1e-4):
    n = x.numel()
    H = torch.empty(n, n, dtype=torch.float64)
    e = torch.eye(n, dtype=torch.float64) * h
    for i in range(n):
        for j in range(n):
            H[i, j] = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * h * h)
    return H


@pytest.mark.syllabus("autodiff.higher_order_gradients")
def test_hessian_equals_torch_and_finite_differences_and_hvp_equals_Hv():
    x = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
    H = hessian(_f, x)
    assert torch.allclose(H, torch.func.hessian(_f)(x), rtol=1e-12, atol=1e-12)
    assert torch.allclose(H, torch.autograd.functional.hessian(_f, x), rtol=1e-12, atol=1e-12)
    assert torch.allclose(H, _fd_hessian(_f, x), atol=1e-5)
    assert torch.equal(H, H.T)
    v = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    assert torch.allclose(hvp(_f, x, v), H @ v, rtol=1e-12, atol=1e-12)


@pytest.mark.syllabus("autodiff.higher_order_gradients")
def test_model_hessian_matches_torch_func_and_eig_is_symmetric_decomposition():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    x, y = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 1, dtype=torch.float64)
    loss = lambda m: ((m(x) - y) ** 2).mean()  # noqa: E731
    H = model_hessian(model, loss)
    f, theta = model_loss_of_theta(model, loss)
    assert H.shape == (21, 21)
    assert torch.allclose(H, torch.func.hessian(f)(theta), rtol=1e-10, atol=1e-12)
    v = torch.randn(21, dtype=torch.float64)
    assert torch.allclose(model_hvp(model, loss, v), H @ v, rtol=1e-10, atol=1e-12)
    lam, U = symmetric_eig(H)
    assert torch.allclose(U @ torch.diag(lam) @ U.T, H, atol=1e-10)
    assert torch.all(lam[1:] >= lam[:-1])
    assert torch.allclose(lam, torch.linalg.eigvalsh(torch.func.hessian(f)(theta)), atol=1e-10)


@pytest.mark.syllabus("autodiff.higher_order_gradients")
def test_double_backward_through_a_layer():
    # d/dx of ||d tanh(Wx)/dx||^2 by double backward equals torch.func's nested grad
    torch.manual_seed(1)
    W = torch.randn(3, 3, dtype=torch.float64)
    g = lambda x: torch.tanh(W @ x).sum()  # noqa: E731
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    (gx,) = torch.autograd.grad(g(x), x, create_graph=True)
    (ggx,) = torch.autograd.grad((gx ** 2).sum(), x)
    ref = torch.func.grad(lambda z: (torch.func.grad(g)(z) ** 2).sum())(x.detach())
    assert torch.allclose(ggx, ref, rtol=1e-12)
    assert torch.allclose(hessian(g, x.detach()) @ torch.ones(3, dtype=torch.float64),
                          hvp(g, x.detach(), torch.ones(3, dtype=torch.float64)), atol=1e-12)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="v"):
        hvp(_f, torch.zeros(3, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="fn"):
        hessian(lambda x: x * 2, torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="H"):
        symmetric_eig(torch.zeros(2, 3))
