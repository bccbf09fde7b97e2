import pytest
import torch
import torch.nn.functional as F

from deepnotes.losses import binary_cross_entropy, binary_cross_entropy_with_logits

g = torch.Generator().manual_seed(3)


@pytest.mark.syllabus("foundations.binary_cross_entropy")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_with_logits_equals_torch_with_gradient(reduction):
    z = torch.randn(6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.rand(6, 3, generator=g, dtype=torch.float64)
    w = torch.rand(6, 3, generator=g, dtype=torch.float64)
    pw = torch.rand(3, generator=g, dtype=torch.float64) * 3
    for kw in ({}, {"weight": w}, {"pos_weight": pw}):
        ours = binary_cross_entropy_with_logits(z, y, reduction=reduction, **kw)
        ref = F.binary_cross_entropy_with_logits(z, y, reduction=reduction, **kw)
        torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-9)
        torch.testing.assert_close(torch.autograd.grad(ours.sum(), z)[0], torch.autograd.grad(ref.sum(), z)[0])


@pytest.mark.syllabus("foundations.binary_cross_entropy")
def test_finite_at_extreme_logits_and_gradient_sigmoid_minus_y():
    z = torch.tensor([-100.0, 100.0, -100.0, 100.0], requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0])
    loss = binary_cross_entropy_with_logits(z, y, reduction="none")
    assert torch.isfinite(loss).all()
    torch.testing.assert_close(loss, torch.tensor([100.0, 100.0, 0.0, 0.0]))
    (gz,) = torch.autograd.grad(loss.sum(), z)
    torch.testing.assert_close(gz, torch.sigmoid(z).detach() - y)


@pytest.mark.syllabus("foundations.binary_cross_entropy")
def test_on_probabilities_equals_torch():
    p = torch.rand(10, generator=g, dtype=torch.float64)
    p[0], p[1] = 0.0, 1.0
    y = torch.randint(0, 2, (10,), generator=g).double()
    torch.testing.assert_close(binary_cross_entropy(p, y), F.binary_cross_entropy(p, y))
    with pytest.raises(ValueError, match="input"):
        binary_cross_entropy(p + 1, y)
