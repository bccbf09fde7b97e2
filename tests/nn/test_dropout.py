"""Inverted dropout: torch's mask and output, unbiasedness, drop fraction, eval identity."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import Dropout, dropout_mask, dropout_test_time_002, inverted_dropout


@pytest.mark.syllabus("training.dropout")
def test_fixed_mask_equals_torch_dropout():
    x = torch.randn(64, 32)
    torch.manual_seed(123)
    ref = F.dropout(x, p=0.3, training=True)
    mask = (ref != 0).float() / 0.7                          # torch's mask, scaled
    torch.testing.assert_close(inverted_dropout(x, 0.3, mask=mask), ref, atol=1e-7, rtol=1e-6)
    torch.manual_seed(123)                                   # same RNG stream -> same draw
    torch.testing.assert_close(Dropout(0.3)(x), ref, atol=1e-7, rtol=1e-6)


@pytest.mark.syllabus("training.dropout")
def test_backward_uses_the_same_mask():
    x = torch.randn(200, requires_grad=True)
    m = dropout_mask(x, 0.5, torch.Generator().manual_seed(0))
    inverted_dropout(x, 0.5, mask=m).sum().backward()
    torch.testing.assert_close(x.grad, m)


@pytest.mark.syllabus("training.dropout")
def test_expectation_drop_fraction_and_eval_identity():
    g = torch.Generator().manual_seed(0)
    p = 0.4
    x = torch.full((400_000,), 2.0)
    y = inverted_dropout(x, p, generator=g)
    drop_frac = (y == 0).float().mean().item()
    n = x.numel()
    se = (p * (1 - p) / n) ** 0.5
    assert abs(drop_frac - p) < 5 * se
    assert abs(y.mean().item() - 2.0) < 5 * 2.0 * (p / (1 - p) / n) ** 0.5   # MC error of E[y] = x
    layer = Dropout(p).eval()
    assert layer(x) is x
    assert torch.equal(inverted_dropout(x, p, training=False), x)
    assert torch.equal(dropout_test_time_002(x, 0.5), x / 0.5)


def test_dropout_bad_p():
    with pytest.raises(ValueError, match=r"p: expected a drop probability in \[0, 1\]"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="mask: expected shape"):
        inverted_dropout(torch.ones(3), 0.5, mask=torch.ones(4))
    assert torch.equal(inverted_dropout(torch.ones(5), 1.0), torch.zeros(5))
