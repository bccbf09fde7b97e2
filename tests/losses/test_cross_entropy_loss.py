import math

import pytest
import torch
import torch.nn.functional as F

from deepnotes.losses import cross_entropy, gaussian_nll_loss, mse_loss, nll_loss

g = torch.Generator().manual_seed(2)


def logits(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)


@pytest.mark.syllabus("foundations.cross_entropy")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_index_targets_equal_torch_with_gradient(reduction):
    z, y = logits(7, 5), torch.randint(0, 5, (7,), generator=g)
    ours, ref = cross_entropy(z, y, reduction=reduction), F.cross_entropy(z, y, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-9)
    go, gr = torch.autograd.grad(ours.sum(), z)[0], torch.autograd.grad(ref.sum(), z)[0]
    torch.testing.assert_close(go, gr)


@pytest.mark.syllabus("foundations.cross_entropy")
def test_probability_targets_spatial_weight_and_ignore_index():
    z = logits(4, 3, 2, 2)
    p = torch.softmax(torch.randn(4, 3, 2, 2, generator=g, dtype=torch.float64), 1)
    torch.testing.assert_close(cross_entropy(z, p), F.cross_entropy(z, p))
    w = torch.tensor([0.2, 1.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(cross_entropy(z, p, weight=w), F.cross_entropy(z, p, weight=w))
    y = torch.randint(0, 3, (4, 2, 2), generator=g)
    y[0, 0, 0] = y[2, 1, 1] = -100
    for red in ("mean", "sum", "none"):
        torch.testing.assert_close(cross_entropy(z, y, weight=w, reduction=red),
                                   F.cross_entropy(z, y, weight=w, reduction=red))
        torch.testing.assert_close(cross_entropy(z, y, ignore_index=-100, reduction=red),
                                   F.cross_entropy(z, y, reduction=red))
    z1 = logits(5)
    torch.testing.assert_close(cross_entropy(z1, torch.tensor(2)), F.cross_entropy(z1, torch.tensor(2)))


@pytest.mark.syllabus("foundations.cross_entropy")
def test_gradient_is_softmax_minus_target():
    z = logits(6, 4)
    p = torch.softmax(torch.randn(6, 4, generator=g, dtype=torch.float64), 1)
    (gz,) = torch.autograd.grad(cross_entropy(z, p, reduction="sum"), z)
    torch.testing.assert_close(gz, torch.softmax(z, 1).detach() - p)
    assert torch.isfinite(cross_entropy(torch.tensor([[1e4, -1e4, 0.0]]), torch.tensor([1]))).all()


@pytest.mark.syllabus("foundations.cross_entropy")
def test_bad_targets_are_named():
    with pytest.raises(ValueError, match="target"):
        cross_entropy(torch.zeros(3, 4), torch.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match="target"):
        cross_entropy(torch.zeros(3, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="target"):
        cross_entropy(torch.zeros(3, 4), torch.zeros(3, 5))


@pytest.mark.syllabus("foundations.mle_nll")
def test_categorical_nll_is_cross_entropy_and_equals_torch():
    z, y = logits(9, 4), torch.randint(0, 4, (9,), generator=g)
    logq = torch.log_softmax(z, 1)
    torch.testing.assert_close(nll_loss(logq, y), cross_entropy(z, y))
    torch.testing.assert_close(nll_loss(logq, y), F.nll_loss(logq, y))
    # product of likelihoods <-> sum of log-likelihoods
    lik = torch.softmax(z, 1)[torch.arange(9), y].prod()
    torch.testing.assert_close(nll_loss(logq, y, reduction="sum"), -torch.log(lik))


@pytest.mark.syllabus("foundations.mle_nll")
def test_gaussian_nll_with_unit_variance_is_half_mse_plus_constant():
    y = torch.randn(50, generator=g, dtype=torch.float64)
    gaps = []
    for _ in range(5):
        yhat = torch.randn(50, generator=g, dtype=torch.float64) * 3
        nll = gaussian_nll_loss(yhat, y, torch.ones(50, dtype=torch.float64), full=True, reduction="sum")
        gaps.append((nll - 0.5 * mse_loss(yhat, y, reduction="sum")).item())
    assert max(gaps) - min(gaps) < 1e-9
    assert abs(gaps[0] - 50 * 0.5 * math.log(2 * math.pi)) < 1e-9


@pytest.mark.syllabus("foundations.mle_nll")
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_equals_torch(full):
    x, y = logits(5, 3), torch.randn(5, 3, generator=g, dtype=torch.float64)
    var = (torch.rand(5, 3, generator=g, dtype=torch.float64) + 0.05).requires_grad_(True)
    ours = gaussian_nll_loss(x, y, var, full=full)
    ref = F.gaussian_nll_loss(x, y, var, full=full)
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(torch.autograd.grad(ours, [x, var]), torch.autograd.grad(ref, [x, var]))
