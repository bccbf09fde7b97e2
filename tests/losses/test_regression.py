import pytest
import torch
import torch.nn.functional as F

from deepnotes.losses import huber_loss, l1_loss, mae_loss, mse_loss

g = torch.Generator().manual_seed(1)


def pair(shape=(6, 4)):
    return (torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True),
            torch.randn(*shape, generator=g, dtype=torch.float64))


@pytest.mark.syllabus("foundations.mse_loss")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_equals_torch_with_gradient(reduction):
    x, y = pair()
    ours, ref = mse_loss(x, y, reduction=reduction), F.mse_loss(x, y, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-9)
    if reduction == "mean":
        (g1,) = torch.autograd.grad(ours, x)
        torch.testing.assert_close(g1, 2 * (x - y).detach() / x.numel())  # 2(yhat - y)/N


@pytest.mark.syllabus("foundations.mse_loss")
def test_mse_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="target"):
        mse_loss(torch.zeros(3, 1), torch.zeros(3))


@pytest.mark.syllabus("foundations.mae_loss")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mae_equals_torch_l1(reduction):
    x, y = pair()
    torch.testing.assert_close(l1_loss(x, y, reduction=reduction), F.l1_loss(x, y, reduction=reduction),
                               rtol=1e-6, atol=1e-9)
    assert mae_loss is l1_loss


@pytest.mark.syllabus("foundations.mae_loss")
def test_mae_subgradient_and_median_minimiser():
    x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    (gx,) = torch.autograd.grad(l1_loss(x, y), x)
    torch.testing.assert_close(gx, torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64) / 3)
    data = torch.tensor([0.0, 1.0, 1.5, 7.0, 30.0], dtype=torch.float64)
    grid = torch.linspace(-5, 35, 4001, dtype=torch.float64)
    risk = torch.stack([l1_loss(c.expand(5), data) for c in grid])
    best = grid[risk.argmin()]
    assert abs(best.item() - data.median().item()) < 1e-9


@pytest.mark.syllabus("foundations.huber_loss")
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_equals_torch_with_gradient(delta):
    x, y = pair()
    x2 = 3 * x.detach().clone().requires_grad_(True)
    ours = huber_loss(x2, y, delta=delta)
    ref = F.huber_loss(x2, y, delta=delta)
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(torch.autograd.grad(ours, x2)[0], torch.autograd.grad(ref, x2)[0])


@pytest.mark.syllabus("foundations.huber_loss")
def test_huber_derivative_continuous_at_delta():
    delta = 1.0
    r = torch.tensor([delta - 1e-7, delta + 1e-7], dtype=torch.float64, requires_grad=True)
    (gr,) = torch.autograd.grad(huber_loss(r, torch.zeros(2, dtype=torch.float64), reduction="sum"), r)
    assert abs(gr[0] - gr[1]) < 1e-6 and abs(gr[1] - delta) < 1e-12
    with pytest.raises(ValueError, match="delta"):
        huber_loss(r, r, delta=0.0)
