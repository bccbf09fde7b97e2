import pytest
import torch

from deepnotes.optim import SGD

from .trajectories import max_trajectory_gap

OPTIONS = [dict(lr=0.05), dict(lr=0.05, maximize=True), dict(lr=0.02, momentum=0.9),
           dict(lr=0.02, momentum=0.9, dampening=0.3), dict(lr=0.02, momentum=0.9, nesterov=True),
           dict(lr=0.02, momentum=0.5, weight_decay=0.1), dict(lr=0.02, weight_decay=0.1, maximize=True,
                                                               momentum=0.8, nesterov=True)]


@pytest.mark.syllabus("optimization.gradient_descent")
@pytest.mark.syllabus("optimization.momentum")
@pytest.mark.syllabus("optimization.nesterov")
@pytest.mark.parametrize("kw", OPTIONS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_sgd_trajectory_equals_torch(kw):
    assert max_trajectory_gap(SGD, torch.optim.SGD, steps=120, **kw) <= 1e-7


@pytest.mark.syllabus("optimization.gradient_descent")
def test_gd_reaches_minimiser_of_1d_quadratic():
    x = torch.tensor([5.0], dtype=torch.float64, requires_grad=True)
    opt = SGD([x], lr=0.1)
    for _ in range(400):                      # f = 2 (x - 3)^2, contraction factor |1 - 0.4|
        opt.zero_grad()
        (2 * (x - 3) ** 2).sum().backward()
        opt.step()
    assert abs(x.item() - 3.0) < 1e-8


@pytest.mark.syllabus("optimization.gradient_descent")
def test_update_is_simultaneous():
    # f(x, y) = x y: the new y must use the old x, not the updated one
    p = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = SGD([p], lr=0.5)
    (p[0] * p[1]).backward()
    opt.step()
    assert torch.equal(p.detach(), torch.tensor([1.0 - 0.5 * 2.0, 2.0 - 0.5 * 1.0], dtype=torch.float64))


def _iterations(opt_cls, tol=1e-6, **kw):
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    for i in range(1, 100000):
        opt.zero_grad()
        f = 0.5 * (p[0] ** 2 + 100 * p[1] ** 2)
        if f.item() < tol:
            return i
        f.backward()
        opt.step()
    return 100000


@pytest.mark.syllabus("optimization.momentum")
@pytest.mark.syllabus("optimization.nesterov")
def test_momentum_then_nesterov_beat_gd_on_ill_conditioned_quadratic():
    gd = _iterations(SGD, lr=0.009)
    heavy = _iterations(SGD, lr=0.009, momentum=0.9)
    nest = _iterations(SGD, lr=0.009, momentum=0.9, nesterov=True)
    assert heavy < gd and nest < heavy, (gd, heavy, nest)


def test_bad_arguments_name_the_argument():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="lr"):
        SGD(p, lr=-0.1)
    with pytest.raises(ValueError, match="momentum"):
        SGD(p, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="params"):
        SGD(torch.zeros(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="params"):
        SGD([1.0, 2.0], lr=0.1)


def test_frozen_parameter_is_skipped_and_state_dict_loads_into_torch():
    a = torch.ones(3, requires_grad=True)
    frozen = torch.ones(3, requires_grad=False)
    opt = SGD([a, frozen], lr=0.1, momentum=0.9)
    (a * 2).sum().backward()
    opt.step()
    assert torch.equal(frozen, torch.ones(3))
    ref = torch.optim.SGD([a, frozen], lr=0.1, momentum=0.9)
    ref.load_state_dict(opt.state_dict())
    assert torch.equal(ref.state[a]["momentum_buffer"], opt.state[a]["momentum_buffer"])


@pytest.mark.syllabus("optimization.gradient_descent")
def test_functional_gd_stops_when_update_vanishes_and_ascends_concave():
    from deepnotes.optim import gradient_descent
    res = gradient_descent(lambda x: 2 * ((x - 3) ** 2).sum(), torch.tensor([5.0], dtype=torch.float64), lr=0.1,
                           max_steps=5000, tol=1e-12)
    assert res.converged and res.steps < 5000 and abs(res.theta.item() - 3.0) < 1e-8
    # the trajectory is torch.optim.SGD's
    p = torch.tensor([5.0], dtype=torch.float64, requires_grad=True)
    ref = torch.optim.SGD([p], lr=0.1)
    for k in range(10):
        assert abs(p.item() - res.path[k].item()) < 1e-12
        ref.zero_grad()
        (2 * (p - 3) ** 2).sum().backward()
        ref.step()
    up = gradient_descent(lambda x: -((x - 1) ** 2).sum(), torch.zeros(2, dtype=torch.float64), lr=0.1,
                          maximize=True, max_steps=20)
    assert not up.converged and up.steps == 20 and torch.all(up.path[-1] > up.path[1])
    with pytest.raises(ValueError, match="lr"):
        gradient_descent(lambda x: x.sum(), torch.zeros(1), lr=-1.0)
