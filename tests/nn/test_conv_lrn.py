"""Local response normalisation against torch.nn.LocalResponseNorm."""
import pytest
import torch

from deepnotes.nn import LocalResponseNorm


@pytest.mark.syllabus("cnn.local_response_norm")
def test_lrn_equals_torch():
    torch.manual_seed(0)
    for size in (5, 4, 1):
        x = torch.randn(2, 11, 6, 7, dtype=torch.float64) * 10
        ref = torch.nn.LocalResponseNorm(size=size, alpha=1e-4, beta=0.75, k=2.0)(x)
        torch.testing.assert_close(LocalResponseNorm(size, 1e-4, 0.75, 2.0)(x), ref)
