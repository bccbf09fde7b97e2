"""Linear against torch.nn.Linear with copied weights, forward and backward."""
import pytest
import torch

from deepnotes.nn import Linear


@pytest.mark.syllabus("training.dense_layer")
@pytest.mark.parametrize("bias", [True, False])
def test_linear_equals_torch_forward_backward(bias):
    torch.manual_seed(0)
    ref = torch.nn.Linear(7, 5, bias=bias)
    ours = Linear(7, 5, bias=bias)
    ours.load_state_dict(ref.state_dict())
    ref.load_state_dict(ours.state_dict())                      # both ways
    x = torch.randn(4, 3, 7)
    xo, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    yo, yr = ours(xo), ref(xr)
    torch.testing.assert_close(yo, yr, atol=1e-7, rtol=1e-6)
    g = torch.randn_like(yr)
    yo.backward(g)
    yr.backward(g)
    torch.testing.assert_close(xo.grad, xr.grad, atol=1e-7, rtol=1e-6)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad, atol=1e-6, rtol=1e-6)
    if bias:
        torch.testing.assert_close(ours.bias.grad, ref.bias.grad, atol=1e-6, rtol=1e-6)
    assert sum(p.numel() for p in ours.parameters()) == 7 * 5 + (5 if bias else 0)


@pytest.mark.syllabus("training.dense_layer")
def test_linear_gradcheck_and_default_init_bound():
    lin = Linear(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert lin.weight.abs().max() <= 1 / 6 ** 0.5 and lin.bias.abs().max() <= 1 / 6 ** 0.5
    x = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lin, (x,))
    a = Linear(6, 3, generator=torch.Generator().manual_seed(3))
    b = Linear(6, 3, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.weight, b.weight)


def test_linear_bad_input():
    lin = Linear(4, 2)
    with pytest.raises(ValueError, match="input: expected a tensor whose last dimension is in_features=4"):
        lin(torch.randn(3, 5))
    with pytest.raises(TypeError, match="input: expected a floating-point tensor"):
        lin(torch.ones(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="in_features: expected a positive int"):
        Linear(0, 2)
