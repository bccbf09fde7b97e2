import math

import pytest
import scipy.stats
import torch

from deepnotes.losses import entropy, gaussian_entropy

g = torch.Generator().manual_seed(6)


@pytest.mark.syllabus("foundations.entropy")
def test_equals_scipy_and_uniform_is_log_k():
    p = torch.softmax(torch.randn(5, 7, generator=g, dtype=torch.float64), 1)
    p[1, 3] = 0
    p[1] /= p[1].sum()
    torch.testing.assert_close(entropy(p), torch.tensor(scipy.stats.entropy(p.numpy(), axis=1)))
    for K in (2, 5, 10):
        assert abs(entropy(torch.full((K,), 1.0 / K, dtype=torch.float64)).item() - math.log(K)) < 1e-12
    with pytest.raises(ValueError, match="input"):
        entropy(torch.tensor([-0.1, 1.1]))


@pytest.mark.syllabus("foundations.entropy")
def test_gaussian_closed_form_equals_torch_normal():
    std = torch.tensor([0.1, 1.0, 3.7], dtype=torch.float64)
    ref = torch.distributions.Normal(torch.tensor([5.0, -2.0, 0.0], dtype=torch.float64), std).entropy()
    torch.testing.assert_close(gaussian_entropy(std), ref)
    assert abs(gaussian_entropy(1.0).item() - 0.5 * math.log(2 * math.pi * math.e)) < 1e-6
    with pytest.raises(ValueError, match="std"):
        gaussian_entropy(torch.tensor([0.0]))
