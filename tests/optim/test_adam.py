import pytest
import torch

from deepnotes.optim import Adam, RAdam

from .trajectories import max_trajectory_gap

ADAM = [dict(), dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
        dict(lr=0.01, amsgrad=True), dict(lr=0.01, maximize=True),
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)]
RADAM = [dict(), dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
         dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), dict(lr=0.01, maximize=True)]


def _id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


@pytest.mark.syllabus("optimization.adam")
@pytest.mark.parametrize("kw", ADAM, ids=_id)
def test_adam_equals_torch(kw):
    assert max_trajectory_gap(Adam, torch.optim.Adam, steps=100, **kw) <= 1e-7


@pytest.mark.syllabus("optimization.radam")
@pytest.mark.parametrize("kw", RADAM, ids=_id)
def test_radam_equals_torch(kw):
    # 150 steps cross the switch from un-adapted to rectified steps (rho_t > 5 from t = 6 at b2=0.999)
    assert max_trajectory_gap(RAdam, torch.optim.RAdam, steps=150, **kw) <= 1e-6


@pytest.mark.syllabus("optimization.adam")
def test_adam_first_step_is_lr_times_sign():
    g = torch.Generator().manual_seed(1)
    p = torch.randn(20, generator=g, dtype=torch.float64, requires_grad=True)
    start = p.detach().clone()
    grad = torch.randn(20, generator=g, dtype=torch.float64)
    p.grad = grad
    Adam([p], lr=1e-3).step()
    assert torch.allclose(p.detach() - start, -1e-3 * grad.sign(), rtol=1e-6, atol=0)


@pytest.mark.syllabus("optimization.radam")
def test_radam_rectification_switches_on_at_rho_5():
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho = [rho_inf - 2 * t * b2 ** t / (1 - b2 ** t) for t in range(1, 10)]
    for t, r in zip(range(1, 10), rho):
        assert (RAdam.rectification(t, b2) > 0) == (r > 5)


def test_bad_arguments_name_the_argument():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match=r"betas\[0\]"):
        Adam(p, betas=(1.0, 0.999))
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        RAdam(p, betas=(0.9, -0.1))
    with pytest.raises(ValueError, match="lr"):
        Adam(p, lr=-1e-3)
    with pytest.raises(TypeError, match="params"):
        Adam("weights")
