import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.transfer import maml_adapt, maml_meta_loss, reptile_step


def _tasks(g):
    return [(torch.randn(6, 2, generator=g, dtype=torch.float64), torch.randn(6, 1, generator=g, dtype=torch.float64),
             torch.randn(6, 2, generator=g, dtype=torch.float64), torch.randn(6, 1, generator=g, dtype=torch.float64))
            for _ in range(3)]


@pytest.mark.syllabus("adaptation_ssl_meta.maml")
def test_maml_meta_gradient_closed_form_and_finite_difference():
    g = torch.Generator().manual_seed(0)
    model = nn.Linear(2, 1, bias=False).double()
    tasks, alpha = _tasks(g), 0.1
    loss = maml_meta_loss(model, tasks, F.mse_loss, inner_lr=alpha, steps=1)
    (grad,) = torch.autograd.grad(loss, model.weight)
    # closed form for linear least squares: L(w) = |Xw - y|^2 / n, H = 2 X^T X / n
    w = model.weight.detach().T                                              # (2, 1)
    ref = torch.zeros_like(w)
    for xt, yt, xv, yv in tasks:
        Ht, Hv = 2 * xt.T @ xt / 6, 2 * xv.T @ xv / 6
        wj = w - alpha * (Ht @ w - 2 * xt.T @ yt / 6)
        gv = Hv @ wj - 2 * xv.T @ yv / 6
        ref += (torch.eye(2, dtype=torch.float64) - alpha * Ht) @ gv / 3
    torch.testing.assert_close(grad.T, ref)
    # two inner steps: central finite difference of M
    def M(wt):
        return maml_meta_loss(model, tasks, F.mse_loss, alpha, 2, params={"weight": wt})
    (g2,) = torch.autograd.grad(M(model.weight), model.weight)
    eps, fd = 1e-6, torch.zeros(1, 2, dtype=torch.float64)
    for i in range(2):
        e = torch.zeros(1, 2, dtype=torch.float64); e[0, i] = eps
        wp = (model.weight.detach() + e).requires_grad_()
        wm = (model.weight.detach() - e).requires_grad_()
        fd[0, i] = (M(wp) - M(wm)).detach() / (2 * eps)
    torch.testing.assert_close(g2, fd, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="steps"):
        maml_adapt(model, dict(model.named_parameters()), F.mse_loss, tasks[0][0], tasks[0][1], steps=-1)


@pytest.mark.syllabus("adaptation_ssl_meta.first_order_maml")
def test_fomaml_gradient_is_gradient_at_adapted_params():
    g = torch.Generator().manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    tasks = _tasks(g)
    params = dict(model.named_parameters())
    loss = maml_meta_loss(model, tasks, F.mse_loss, inner_lr=0.2, steps=2, first_order=True)
    got = torch.autograd.grad(loss, list(params.values()))
    ref = [torch.zeros_like(p) for p in params.values()]
    for xt, yt, xv, yv in tasks:
        # adapted parameters by hand with a copy of the model and torch.optim.SGD
        m2 = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)).double()
        m2.load_state_dict(model.state_dict())
        opt = torch.optim.SGD(m2.parameters(), lr=0.2)
        for _ in range(2):
            opt.zero_grad(); F.mse_loss(m2(xt), yt).backward(); opt.step()
        gv = torch.autograd.grad(F.mse_loss(m2(xv), yv), list(m2.parameters()))
        ref = [r + gi / 3 for r, gi in zip(ref, gv)]
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b)
    # second order differs from first order here (the Hessian term is real)
    full = torch.autograd.grad(maml_meta_loss(model, tasks, F.mse_loss, 0.2, 2), list(params.values()))
    assert max((a - b).abs().max().item() for a, b in zip(full, got)) > 1e-6
    # alpha = 0: the plain multi-task gradient
    zero = torch.autograd.grad(maml_meta_loss(model, tasks, F.mse_loss, 0.0, 2, first_order=True), list(params.values()))
    multi = torch.autograd.grad(torch.stack([F.mse_loss(model(xv), yv) for _, _, xv, yv in tasks]).mean(),
                                list(params.values()))
    for a, b in zip(zero, multi):
        torch.testing.assert_close(a, b)


@pytest.mark.syllabus("adaptation_ssl_meta.first_order_maml")
def test_reptile_interpolates():
    model = nn.Linear(2, 1)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    target = {n: p + 1.0 for n, p in before.items()}
    reptile_step(model, target, epsilon=0.25)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), before[n] + 0.25)
