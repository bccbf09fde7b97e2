import pytest
import torch

from deepnotes.optim import Adadelta, Adagrad, RMSprop

from .trajectories import max_trajectory_gap

ADAGRAD = [dict(lr=0.1), dict(lr=0.1, eps=1e-10), dict(lr=0.1, lr_decay=0.01, weight_decay=0.05),
           dict(lr=0.1, initial_accumulator_value=0.5, maximize=True)]
RMSPROP = [dict(lr=0.01), dict(lr=0.01, alpha=0.99, eps=1e-8), dict(lr=0.01, momentum=0.9),
           dict(lr=0.01, centered=True, weight_decay=0.1), dict(lr=0.01, centered=True, momentum=0.5,
                                                                  maximize=True)]
ADADELTA = [dict(), dict(rho=0.9, eps=1e-6), dict(lr=0.5, weight_decay=0.1), dict(maximize=True)]


def _id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


@pytest.mark.syllabus("optimization.adagrad")
@pytest.mark.parametrize("kw", ADAGRAD, ids=_id)
def test_adagrad_equals_torch(kw):
    assert max_trajectory_gap(Adagrad, torch.optim.Adagrad, **kw) <= 1e-7


@pytest.mark.syllabus("optimization.rmsprop")
@pytest.mark.parametrize("kw", RMSPROP, ids=_id)
def test_rmsprop_equals_torch(kw):
    assert max_trajectory_gap(RMSprop, torch.optim.RMSprop, **kw) <= 1e-7


@pytest.mark.syllabus("optimization.adadelta")
@pytest.mark.parametrize("kw", ADADELTA, ids=_id)
def test_adadelta_equals_torch(kw):
    assert max_trajectory_gap(Adadelta, torch.optim.Adadelta, **kw) <= 1e-7


def _steps_under_gradient_jump(opt_cls, n=400, jump_at=200, **kw):
    """|step| of a 1-D parameter fed gradient 1 for `jump_at` steps, then gradient 10."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    sizes = []
    for t in range(n):
        before = p.detach().clone()
        p.grad = torch.full_like(p, 1.0 if t < jump_at else 10.0)
        opt.step()
        sizes.append((p.detach() - before).abs().item())
    return sizes


@pytest.mark.syllabus("optimization.adagrad")
def test_adagrad_effective_step_never_grows():
    p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    opt = Adagrad([p], lr=0.5)
    g = torch.Generator().manual_seed(0)
    last = torch.full((4,), float("inf"), dtype=torch.float64)
    for _ in range(50):
        p.grad = torch.randn(4, generator=g, dtype=torch.float64) * 3
        opt.step()
        eff = 0.5 / (opt.state[p]["sum"].sqrt() + 1e-10)     # lr / (sqrt(s) + eps)
        assert (eff <= last).all()
        last = eff


@pytest.mark.syllabus("optimization.rmsprop")
def test_rmsprop_adapts_to_gradient_jump_faster_than_adagrad():
    alpha = 0.9
    rms = _steps_under_gradient_jump(RMSprop, lr=0.01, alpha=alpha)
    ada = _steps_under_gradient_jump(Adagrad, lr=0.01)
    # RMSProp's step returns to about lr within a few time constants 1/(1-alpha) = 10 steps ...
    settle = 200 + 3 * int(1 / (1 - alpha))
    assert abs(rms[settle] - 0.01) / 0.01 < 0.1
    # ... while AdaGrad's step after the jump stays far from its pre-jump size relative change
    assert abs(ada[settle] - ada[199]) / ada[199] > 1.0


def test_bad_arguments_name_the_argument():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="alpha"):
        RMSprop(p, alpha=1.0)
    with pytest.raises(ValueError, match="lr"):
        Adagrad(p, lr=-1.0)
    with pytest.raises(ValueError, match="rho"):
        Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match="eps"):
        Adadelta(p, eps=-1)
