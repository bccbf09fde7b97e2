import math

import pytest
import torch

from deepnotes.losses import logit_gradients


@pytest.mark.syllabus("foundations.square_error_saturation")
def test_sigmoid_mse_gradient_vanishes_bce_does_not():
    grads = logit_gradients(torch.tensor([-10.0], dtype=torch.float64), torch.tensor([1.0]))
    s = 1 / (1 + math.exp(10))
    analytic_mse = 2 * (s - 1) * s * (1 - s)
    assert abs(grads["mse"].item() - analytic_mse) < 1e-15
    assert abs(abs(grads["mse"].item()) - 9.08e-5) < 1e-6
    assert abs(grads["ce"].item() - (s - 1)) < 1e-15
    assert abs(grads["ce"].item() + 0.99995) < 1e-5


@pytest.mark.syllabus("foundations.square_error_saturation")
def test_softmax_mse_vs_ce_with_a_wrong_margin_of_ten():
    z = torch.tensor([[0.0, 10.0, 0.0]], dtype=torch.float64)   # true class 0 loses by 10
    grads = logit_gradients(z, torch.tensor([0]))
    p = torch.softmax(z, 1)
    torch.testing.assert_close(grads["ce"], p - torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64))
    assert grads["mse"].norm() < 1e-3 < 1.0 < grads["ce"].norm()
