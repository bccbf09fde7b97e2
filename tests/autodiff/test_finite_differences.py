import pytest
import torch
import torch.nn.functional as F

import deepnotes.nn
from deepnotes.autodiff import gradcheck, gradcheck_module, numerical_jacobian


def _x(*shape, seed=0, away_from_zero=False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    if away_from_zero:
        x = x.sign() * (x.abs() + 0.1)
    return x.requires_grad_()


@pytest.mark.syllabus("autodiff.gradient_check")
@pytest.mark.parametrize("fn", [torch.sigmoid, torch.tanh, F.relu], ids=["sigmoid", "tanh", "relu"])
def test_activations_pass(fn):
    assert gradcheck(fn, _x(4, 3, away_from_zero=True)).max_rel_error < 1e-6


@pytest.mark.syllabus("autodiff.gradient_check")
def test_softmax_cross_entropy_conv_lstm_pass():
    target = torch.tensor([0, 2, 1, 2])
    assert gradcheck(lambda z: F.cross_entropy(z, target), _x(4, 3)).max_rel_error < 1e-6
    conv = torch.nn.Conv2d(2, 3, 3).double()
    assert gradcheck_module(conv, _x(1, 2, 5, 5)).max_rel_error < 1e-6
    lstm = torch.nn.LSTM(3, 4, batch_first=True).double()
    assert gradcheck(lambda x: lstm(x)[0], _x(2, 3, 3)).max_rel_error < 1e-6


@pytest.mark.syllabus("autodiff.gradient_check")
def test_deepnotes_layers_pass_when_present():
    layers = [getattr(deepnotes.nn, n) for n in ("LSTM", "GRU") if hasattr(deepnotes.nn, n)]
    if not layers:
        pytest.skip("deepnotes.nn has no recurrent layer yet")
    for cls in layers:
        layer = cls(3, 2, batch_first=True).double()
        report = gradcheck(lambda x: layer(x)[0], _x(2, 3, 3))
        assert report.max_rel_error < 1e-6, (cls, report)


@pytest.mark.syllabus("autodiff.gradient_check")
def test_reproduces_known_derivatives():
    x = _x(6, away_from_zero=True)
    (num,) = numerical_jacobian(torch.sigmoid, [x])
    s = torch.sigmoid(x.detach())
    assert torch.allclose(num.diagonal(), s * (1 - s), rtol=1e-8, atol=0)
    (num,) = numerical_jacobian(torch.tanh, [x])
    assert torch.allclose(num.diagonal(), 1 / torch.cosh(x.detach()) ** 2, rtol=1e-8, atol=0)
    (num,) = numerical_jacobian(F.relu, [x])
    assert torch.allclose(num.diagonal(), (x.detach() > 0).double(), rtol=0, atol=1e-9)


class _WrongTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, d):
        (y,) = ctx.saved_tensors
        return d * (1 - y)          # bug: should be 1 - y**2


@pytest.mark.syllabus("autodiff.gradient_check")
def test_wrong_backward_is_flagged():
    report = gradcheck(_WrongTanh.apply, _x(5))
    assert not report.passed and report.max_rel_error > 1e-2


@pytest.mark.syllabus("autodiff.gradient_check")
def test_forward_difference_has_larger_error_than_central():
    x = _x(5, seed=3)
    central = gradcheck(torch.tanh, x).max_rel_error
    forward = gradcheck(torch.tanh, x, method="forward").max_rel_error      # h = 1e-3: O(h)
    assert central < 1e-6 < forward < 1e-2


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(torch.tanh, torch.randn(3, requires_grad=True))
    with pytest.raises(ValueError, match="method"):
        gradcheck(torch.tanh, _x(3), method="backward")
