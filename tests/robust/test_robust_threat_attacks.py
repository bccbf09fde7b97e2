import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.robust import (fgsm, input_gradient, perturbation_norm, pgd, project_l2, project_linf,
                              targeted_attack_loss, untargeted_attack_loss)

from .conftest import accuracy


@pytest.mark.syllabus("robustness.perturbation_norms")
def test_norms_match_torch():
    g = torch.Generator().manual_seed(0)
    d = torch.randn(5, 3, 4, 4, generator=g) * (torch.rand(5, 3, 4, 4, generator=g) > 0.5)
    flat = d.flatten(1)
    torch.testing.assert_close(perturbation_norm(d, "inf"), torch.linalg.vector_norm(flat, ord=float("inf"), dim=1))
    torch.testing.assert_close(perturbation_norm(d, 2), torch.linalg.vector_norm(flat, ord=2, dim=1))
    torch.testing.assert_close(perturbation_norm(d, 0), torch.count_nonzero(flat, dim=1).float())
    with pytest.raises(ValueError, match="p: expected"):
        perturbation_norm(d, 3)


@pytest.mark.syllabus("robustness.pgd_attack")
def test_projections_are_closest_points():
    g = torch.Generator().manual_seed(1)
    x0, x = torch.rand(6, 10, generator=g), torch.rand(6, 10, generator=g) * 3 - 1
    p = project_l2(x, x0, 0.5)
    d = x - x0
    n = d.norm(dim=1, keepdim=True)
    torch.testing.assert_close(p, torch.where(n > 0.5, x0 + 0.5 * d / n, x))
    # no random point of the ball is closer than the projection
    u = torch.randn(2000, 10, generator=g)
    ball = x0[0] + 0.5 * u / u.norm(dim=1, keepdim=True) * torch.rand(2000, 1, generator=g)
    assert (ball - x[0]).norm(dim=1).min() >= (p[0] - x[0]).norm() - 1e-6
    torch.testing.assert_close(project_linf(x, x0, 0.1, None), torch.clamp(x, x0 - 0.1, x0 + 0.1))


@pytest.mark.syllabus("robustness.attack_losses")
def test_attack_losses_by_hand():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]], requires_grad=True)
    y, t = torch.tensor([0, 2]), torch.tensor([1, 0])
    lse = torch.log(torch.exp(logits.detach()).sum(1))
    ce_true = lse - logits.detach()[[0, 1], y]
    ce_tgt = lse - logits.detach()[[0, 1], t]
    torch.testing.assert_close(untargeted_attack_loss(logits, y), ce_true.sum())
    torch.testing.assert_close(targeted_attack_loss(logits, y, t), (ce_true - ce_tgt).sum())
    (g,) = torch.autograd.grad(targeted_attack_loss(logits, y, t), logits)
    # ascending: true-class logit goes down, target-class logit goes up
    assert (g[[0, 1], y] < 0).all() and (g[[0, 1], t] > 0).all()
    with pytest.raises(ValueError, match="attack_target"):
        targeted_attack_loss(logits, y, torch.tensor([1]))


@pytest.mark.syllabus("robustness.fgsm")
def test_fgsm_equals_definition(digits_mlp, digits):
    _, _, xt, yt = digits
    x, y = xt[:50], yt[:50]
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(digits_mlp(xr), y).backward()
    ref = (x + 0.1 * xr.grad.sign()).clamp(0, 1)
    adv = fgsm(digits_mlp, x, y, eps=0.1)
    torch.testing.assert_close(adv, ref)
    free = fgsm(digits_mlp, x, y, eps=0.1, bounds=None)
    nz = xr.grad != 0
    torch.testing.assert_close((free - x).abs()[nz], torch.full_like(x[nz], 0.1))
    assert torch.equal(free[~nz], x[~nz])          # sign(0) = 0: zero-gradient pixels stay
    assert adv.min() >= 0 and adv.max() <= 1 and (adv - x).abs().max() <= 0.1 + 1e-6
    tgt = torch.full_like(y, 3)
    adv_t = fgsm(digits_mlp, x, tgt, eps=0.05, targeted=True)
    assert F.cross_entropy(digits_mlp(adv_t), tgt) < F.cross_entropy(digits_mlp(x), tgt)


@pytest.mark.syllabus("robustness.fgsm")
def test_fgsm_collapses_digits_mlp(digits_mlp, digits):
    _, _, xt, yt = digits
    clean = accuracy(digits_mlp, xt, yt)
    adv = accuracy(digits_mlp, fgsm(digits_mlp, xt, yt, eps=0.1), yt)
    assert clean > 0.9 and adv <= clean - 0.30


@pytest.mark.syllabus("robustness.fgsm")
def test_attack_bad_input(digits_mlp):
    x, y = torch.rand(4, 1, 8, 8), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match="eps"):
        fgsm(digits_mlp, x, y, eps=-0.1)
    with pytest.raises(ValueError, match="inputs"):
        fgsm(digits_mlp, x + 2, y, eps=0.1)
    with pytest.raises(ValueError, match="target"):
        pgd(digits_mlp, x, y[:2], eps=0.1)
    with pytest.raises(ValueError, match="norm"):
        pgd(digits_mlp, x, y, eps=0.1, norm="1")


@pytest.mark.syllabus("robustness.pgd_attack")
def test_pgd_stays_in_ball_and_beats_fgsm(digits_mlp, digits):
    _, _, xt, yt = digits
    eps, seen = 0.1, []

    def cb(t, xa):
        seen.append(t)
        assert (xa - xt).abs().max() <= eps + 1e-6 and xa.min() >= 0 and xa.max() <= 1

    adv = pgd(digits_mlp, xt, yt, eps=eps, alpha=0.025, steps=10, random_start=True,
              generator=torch.Generator().manual_seed(0), callback=cb)
    assert seen == list(range(10))
    a_pgd, a_fgsm = accuracy(digits_mlp, adv, yt), accuracy(digits_mlp, fgsm(digits_mlp, xt, yt, eps), yt)
    assert a_pgd <= a_fgsm
    l_pgd = F.cross_entropy(digits_mlp(adv), yt)
    assert l_pgd >= F.cross_entropy(digits_mlp(fgsm(digits_mlp, xt, yt, eps)), yt)

    adv2 = pgd(digits_mlp, xt, yt, eps=1.0, alpha=0.25, steps=8, norm="2", callback=lambda t, xa: None)
    assert (perturbation_norm(adv2 - xt, 2) <= 1.0 + 1e-5).all() and accuracy(digits_mlp, adv2, yt) < 0.9


@pytest.mark.syllabus("robustness.pgd_attack")
def test_pgd_linear_model_reaches_analytic_optimum():
    torch.manual_seed(0)
    lin = nn.Linear(20, 2)
    x, y = torch.randn(8, 20), torch.zeros(8, dtype=torch.long)
    eps = 0.05
    w = (lin.weight[1] - lin.weight[0]).detach()
    adv = pgd(lin, x, y, eps=eps, alpha=eps, steps=3, bounds=None)
    margin = lambda z: (lin(z)[:, 1] - lin(z)[:, 0]).detach()  # noqa: E731
    # max over the L_inf ball of the (linear) margin = margin(x) + eps |w|_1
    torch.testing.assert_close(margin(adv) - margin(x), torch.full((8,), eps * float(w.abs().sum())))
