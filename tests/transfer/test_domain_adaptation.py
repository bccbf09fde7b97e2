import pytest
import torch
from torch import nn

from deepnotes.data import load, rotate
from deepnotes.transfer import (DANN, dann_lambda_schedule, dann_loss, grad_reverse, leave_one_domain_out,
                                rotated_digit_domains)


@pytest.mark.syllabus("adaptation_ssl_meta.gradient_reversal")
def test_grl_forward_identity_backward_negated():
    torch.manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    up = torch.randn(4, 3, dtype=torch.float64)
    y = grad_reverse(x, 0.7)
    assert torch.equal(y, x)
    (g,) = torch.autograd.grad(y, x, up)
    assert torch.equal(g, -0.7 * up)
    # downstream of a nonlinearity: gradient of f(R(x)) is -lambda times the autograd gradient of f(x)
    x2 = x.detach().clone().requires_grad_()
    (ref,) = torch.autograd.grad(torch.tanh(x2).pow(2).sum(), x2)
    (got,) = torch.autograd.grad(torch.tanh(grad_reverse(x, 2.0)).pow(2).sum(), x)
    torch.testing.assert_close(got, -2.0 * ref)


@pytest.mark.syllabus("adaptation_ssl_meta.gradient_reversal")
def test_lambda_schedule_and_bad_input():
    assert dann_lambda_schedule(0.0) == 0.0
    assert dann_lambda_schedule(1.0) == pytest.approx(2 / (1 + torch.exp(torch.tensor(-10.0)).item()) - 1)
    with pytest.raises(ValueError, match="lambd"):
        grad_reverse(torch.zeros(2), -1.0)
    with pytest.raises(ValueError, match="progress"):
        dann_lambda_schedule(1.5)


@pytest.mark.syllabus("adaptation_ssl_meta.dann")
def test_dann_extractor_gets_label_minus_lambda_domain_gradient():
    torch.manual_seed(0)
    feat = nn.Linear(6, 5)
    cls, dom = nn.Linear(5, 3), nn.Linear(5, 1)
    model = DANN(feat, cls, dom, lambd=0.3)
    xs, ys, xt = torch.randn(8, 6), torch.randint(3, (8,)), torch.randn(8, 6)
    loss, info = dann_loss(model, xs, ys, xt)
    loss.backward()
    g_model = feat.weight.grad.clone()
    g_dom_model = dom.weight.grad.clone()
    # reference: L_y and L_d gradients separately by plain autograd without any reversal
    feat.zero_grad(); dom.zero_grad()
    import torch.nn.functional as F
    h = feat(torch.cat([xs, xt]))
    ly = F.cross_entropy(cls(h[:8]), ys)
    ld = F.binary_cross_entropy_with_logits(dom(h).squeeze(-1), torch.cat([torch.zeros(8), torch.ones(8)]))
    gy = torch.autograd.grad(ly, feat.weight, retain_graph=True)[0]
    gd = torch.autograd.grad(ld, feat.weight, retain_graph=True)[0]
    gdom = torch.autograd.grad(ld, dom.weight)[0]
    torch.testing.assert_close(g_model, gy - 0.3 * gd)
    torch.testing.assert_close(g_dom_model, gdom)       # the domain classifier still descends L_d
    assert info["label_loss"] == pytest.approx(ly.item(), rel=1e-6)
    assert 0.0 <= info["domain_acc"] <= 1.0
    with pytest.raises(ValueError, match="y_source"):
        dann_loss(model, xs, ys[:3], xt)


@pytest.mark.syllabus("adaptation_ssl_meta.domain_generalization")
def test_leave_one_domain_out_never_exposes_held_out():
    x, y = load("digits", split="all").tensors
    doms = rotated_digit_domains(x, y, angles=(0, 45, 90), generator=torch.Generator().manual_seed(0))
    sizes = sum(len(v[1]) for v in doms.values())
    assert sizes == len(x)
    # each domain really is the rotated images
    torch.testing.assert_close(doms[2][0][:3].shape, doms[2][0][:3].shape)
    seen = []
    for held, (xtr, ytr), (xte, yte) in leave_one_domain_out(doms):
        seen.append(held)
        assert len(xtr) + len(xte) == len(x)
        # no held-out image appears in training (rows compared exactly)
        flat_tr = {tuple(r.tolist()) for r in xtr.flatten(1)}
        assert not any(tuple(r.tolist()) in flat_tr for r in xte.flatten(1)[:50])
        assert torch.equal(xte, doms[held][0])
    assert seen == [0, 1, 2]
    with pytest.raises(ValueError, match="domains"):
        list(leave_one_domain_out({0: doms[0]}))


def test_rotated_domains_are_rotations():
    x = torch.rand(8, 1, 8, 8)
    y = torch.arange(8)
    g = torch.Generator().manual_seed(1)
    doms = rotated_digit_domains(x, y, angles=(0, 90), generator=g)
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(1))
    a, b = perm.chunk(2)
    torch.testing.assert_close(doms[0][0], rotate(x[a], 0.0))
    torch.testing.assert_close(doms[1][0], rotate(x[b], 90.0))
    torch.testing.assert_close(doms[1][1], y[b])
