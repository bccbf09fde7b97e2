import pytest
import torch

from deepnotes.nn.softmax import LogSoftmax, Softmax, log_softmax, softmax

g = torch.Generator().manual_seed(9)


@pytest.mark.syllabus("foundations.softmax")
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_equals_torch_rows_sum_to_one_with_gradient(dim):
    z = torch.randn(4, 5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(softmax(z, dim), torch.softmax(z, dim), rtol=1e-6, atol=1e-12)
    torch.testing.assert_close(log_softmax(z, dim), torch.log_softmax(z, dim), rtol=1e-6, atol=1e-12)
    torch.testing.assert_close(softmax(z, dim).sum(dim), torch.ones(()).double().expand_as(z.sum(dim)))
    w = torch.randn(4, 5, 3, generator=g, dtype=torch.float64)
    for ours, ref in ((softmax, torch.softmax), (log_softmax, torch.log_softmax)):
        torch.testing.assert_close(torch.autograd.grad((ours(z, dim) * w).sum(), z)[0],
                                   torch.autograd.grad((ref(z, dim) * w).sum(), z)[0])


@pytest.mark.syllabus("foundations.softmax")
def test_shift_invariant_stable_and_two_class_sigmoid():
    z = torch.randn(6, 4, generator=g, dtype=torch.float64)
    torch.testing.assert_close(softmax(z + 123.4), softmax(z))
    big = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
    assert torch.isfinite(softmax(big)).all() and torch.isfinite(log_softmax(big)[:, :2]).all()
    torch.testing.assert_close(softmax(big)[1], torch.full((3,), 1 / 3))
    x = torch.linspace(-30, 30, 61, dtype=torch.float64)
    two = torch.stack([x, torch.zeros_like(x)], 1)
    torch.testing.assert_close(softmax(two)[:, 0], torch.sigmoid(x))


@pytest.mark.syllabus("foundations.softmax")
def test_package_exports_the_functions():
    import deepnotes.nn as dnn
    assert dnn.softmax is softmax and dnn.log_softmax is log_softmax and dnn.Softmax is Softmax


@pytest.mark.syllabus("foundations.softmax")
def test_modules_and_mask():
    z = torch.randn(3, 4, generator=g)
    mask = torch.tensor([[True, True, False, True]] * 3)
    p = Softmax(dim=1)(z, mask)
    assert (p[:, 2] == 0).all()
    ref = torch.softmax(z.masked_fill(~mask, float("-inf")), 1)
    torch.testing.assert_close(p, ref)
    torch.testing.assert_close(LogSoftmax(1)(z), torch.nn.LogSoftmax(1)(z))
    assert LogSoftmax(1)(z, mask)[0, 2] == float("-inf")
    with pytest.raises(TypeError, match="mask"):
        softmax(z, mask=mask.float())
