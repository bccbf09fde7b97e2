import math

import pytest
import torch

from deepnotes.models import ReLUSum, SigmoidSum, hard_sigmoid_relu, relu_interpolant


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.syllabus("foundations.universal_approximation")
def test_two_relus_are_exactly_a_hard_sigmoid():
    x = torch.linspace(-3, 3, 601, dtype=torch.float64)
    a, b, c = -0.5, 1.25, 2.0
    assert torch.equal(hard_sigmoid_relu(x, a, b, c), c * ((x - a) / (b - a)).clamp(0, 1)) or \
        (hard_sigmoid_relu(x, a, b, c) - c * ((x - a) / (b - a)).clamp(0, 1)).abs().max() < 1e-15
    with pytest.raises(ValueError, match="b"):
        hard_sigmoid_relu(x, 1.0, 0.0)


@pytest.mark.syllabus("foundations.universal_approximation")
def test_relu_net_fits_piecewise_linear_target():
    knots = torch.tensor([-2.0, -1.0, 0.0, 0.5, 2.0], dtype=torch.float64)
    values = torch.tensor([0.0, 1.0, -1.0, 0.5, 0.25], dtype=torch.float64)
    x = torch.linspace(-2, 2, 801, dtype=torch.float64)
    target = torch.from_numpy(__import__("numpy").interp(x.numpy(), knots.numpy(), values.numpy()))
    net = relu_interpolant(knots, values)
    assert net.units == 4
    assert ((net(x).detach() - target) ** 2).mean() < 1e-6
    trained = ReLUSum(16, dtype=torch.float64).fit_output(x, target, -2, 2)   # grid knots, least squares
    assert ((trained(x).detach() - target) ** 2).mean() < 1e-2


@pytest.mark.syllabus("foundations.universal_approximation")
def test_sup_error_on_sine_falls_with_sigmoid_units():
    x = torch.linspace(-math.pi, math.pi, 2001, dtype=torch.float64)
    y = torch.sin(x)
    sup = [(SigmoidSum(k, dtype=torch.float64).fit_output(x, y, -math.pi, math.pi)(x).detach() - y).abs().max().item()
           for k in (2, 8, 32)]
    assert sup[0] > sup[1] > sup[2]
    assert sup[2] < 1e-2
