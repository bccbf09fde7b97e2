"""Activations against torch's, their derivatives against the closed forms and finite differences."""
import pytest
import torch

from deepnotes.nn import (Hardsigmoid, ReLU, Sigmoid, Step, Tanh, get_activation, hard_sigmoid,
                          relu, sigmoid, step, tanh)


def _grad(fn, x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    return g


def _central_diff(fn, x, h=1e-6):
    return (fn(x + h) - fn(x - h)) / (2 * h)


@pytest.mark.syllabus("training.sigmoid")
def test_sigmoid_equals_torch_and_derivative():
    x = torch.linspace(-30, 30, 2001, dtype=torch.float64)
    torch.testing.assert_close(sigmoid(x), torch.sigmoid(x), atol=1e-7, rtol=0)
    s = torch.sigmoid(x)
    torch.testing.assert_close(_grad(sigmoid, x), s * (1 - s), atol=1e-12, rtol=0)
    torch.testing.assert_close(_central_diff(sigmoid, x), s * (1 - s), atol=1e-8, rtol=0)
    assert torch.autograd.gradcheck(sigmoid, torch.randn(20, dtype=torch.float64, requires_grad=True))
    torch.testing.assert_close(Sigmoid()(x.float()), torch.sigmoid(x.float()), atol=1e-7, rtol=0)


@pytest.mark.syllabus("training.sigmoid")
def test_sigmoid_no_overflow_at_extremes():
    x = torch.tensor([-1000.0, -88.0, 0.0, 88.0, 1000.0], requires_grad=True)
    y = sigmoid(x)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()
    assert y[0] == 0 and y[-1] == 1 and y[2] == 0.5
    assert x.grad[2] == 0.25 and x.grad[0] == 0 and x.grad[-1] == 0


@pytest.mark.syllabus("training.tanh")
def test_tanh_equals_torch_and_derivative():
    x = torch.linspace(-20, 20, 2001, dtype=torch.float64)
    torch.testing.assert_close(tanh(x), torch.tanh(x), atol=1e-12, rtol=1e-12)
    sech2 = 1 - torch.tanh(x) ** 2
    torch.testing.assert_close(_grad(tanh, x), sech2, atol=1e-12, rtol=0)
    torch.testing.assert_close(_central_diff(tanh, x), sech2, atol=1e-8, rtol=0)
    small = torch.tensor([1e-10, -3e-9, 0.0], dtype=torch.float64)
    torch.testing.assert_close(tanh(small), torch.tanh(small), rtol=1e-12, atol=0)  # no cancellation
    assert _grad(tanh, torch.zeros(1, dtype=torch.float64)).item() == 1.0
    y = tanh(torch.tensor([-1000.0, 1000.0]))
    assert y.tolist() == [-1.0, 1.0]
    torch.testing.assert_close(Tanh()(x.float()), torch.tanh(x.float()), atol=1e-6, rtol=0)


@pytest.mark.syllabus("training.relu")
def test_relu_equals_torch_forward_backward_including_zero():
    x = torch.tensor([-2.0, -0.0, 0.0, 1e-30, 3.0])
    x = torch.cat([x, torch.randn(100)])
    ours, ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    relu(ours).sum().backward()
    torch.relu(ref).sum().backward()
    torch.testing.assert_close(relu(x), torch.relu(x), atol=0, rtol=0)
    torch.testing.assert_close(ours.grad, ref.grad, atol=0, rtol=0)
    assert ours.grad[1] == 0 and ours.grad[2] == 0          # derivative 0 at x = 0
    y = x.clone()
    ReLU(inplace=True)(y)
    torch.testing.assert_close(y, torch.relu(x), atol=0, rtol=0)


@pytest.mark.syllabus("training.step_activation")
def test_step_has_zero_gradient_and_gd_cannot_move_it():
    x = torch.randn(50, requires_grad=True)
    y = step(x)
    assert torch.equal(y, (x > 0).float())
    y.pow(2).mul(torch.randn(50)).sum().backward()
    assert torch.count_nonzero(x.grad) == 0
    # A 2-layer net with step hidden units: gradient descent never changes its loss.
    torch.manual_seed(0)
    X, t = torch.randn(64, 3), torch.randn(64, 1)
    W1 = torch.randn(3, 8, requires_grad=True)
    w2 = torch.randn(8, 1)
    losses = []
    for _ in range(5):
        loss = ((Step()(X @ W1) @ w2 - t) ** 2).mean()
        losses.append(loss.item())
        (g,) = torch.autograd.grad(loss, W1)
        with torch.no_grad():
            W1 -= 0.5 * g
    assert len(set(losses)) == 1


def test_hard_sigmoid_equals_torch():
    x = torch.linspace(-5, 5, 101)
    torch.testing.assert_close(hard_sigmoid(x), torch.nn.functional.hardsigmoid(x))
    torch.testing.assert_close(Hardsigmoid()(x), torch.nn.Hardsigmoid()(x))


def test_bad_input_raises_named_errors():
    with pytest.raises(TypeError, match="input: expected a floating-point tensor"):
        sigmoid(torch.arange(3))
    with pytest.raises(ValueError, match="activation: expected one of"):
        get_activation("swishh")
    assert isinstance(get_activation("relu"), ReLU)
