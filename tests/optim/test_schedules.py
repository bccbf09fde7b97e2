import math

import pytest
import torch
from torch.optim import lr_scheduler as ref

from deepnotes.optim import (CosineAnnealingLR, ExponentialLR, InverseSqrtLR, LinearLR, NoamLR, StepLR,
                             WarmupCosineLR, noam_factor)


def _lrs(make, steps=60, base=(0.1, 0.03)):
    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{"params": [params[0]], "lr": base[0]}, {"params": [params[1]], "lr": base[1]}])
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return torch.tensor(out, dtype=torch.float64)


def _same(ours, theirs):
    a, b = _lrs(ours), _lrs(theirs)
    assert a.abs().max() > 0 and not torch.all(a == a[0]), "the schedule must change the lr"
    assert torch.allclose(a, b, rtol=1e-12, atol=1e-15), (a - b).abs().max()


@pytest.mark.syllabus("optimization.lr_decay")
def test_step_exponential_cosine_equal_torch():
    _same(lambda o: StepLR(o, step_size=7, gamma=0.5), lambda o: ref.StepLR(o, step_size=7, gamma=0.5))
    _same(lambda o: ExponentialLR(o, gamma=0.93), lambda o: ref.ExponentialLR(o, gamma=0.93))
    _same(lambda o: CosineAnnealingLR(o, T_max=60, eta_min=1e-3),
          lambda o: ref.CosineAnnealingLR(o, T_max=60, eta_min=1e-3))


@pytest.mark.syllabus("optimization.lr_decay")
def test_inverse_sqrt_equals_closed_form():
    lrs = _lrs(lambda o: InverseSqrtLR(o))
    t = torch.arange(60, dtype=torch.float64)
    assert torch.allclose(lrs[:, 0], 0.1 / torch.sqrt(t + 1), rtol=1e-12, atol=0)


@pytest.mark.syllabus("optimization.lr_warmup")
def test_linear_warmup_equals_torch():
    _same(lambda o: LinearLR(o, start_factor=0.1, total_iters=20),
          lambda o: ref.LinearLR(o, start_factor=0.1, total_iters=20))
    _same(lambda o: LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=40),
          lambda o: ref.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=40))


@pytest.mark.syllabus("optimization.lr_warmup")
def test_noam_equals_lambda_lr_and_peaks_at_warmup():
    d, w = 512, 4000
    lam = lambda t: d ** -0.5 * min((t + 1) ** -0.5, (t + 1) * w ** -1.5)  # noqa: E731
    a = _lrs(lambda o: NoamLR(o, d_model=d, warmup_steps=w), steps=9000, base=(1.0, 2.0))
    b = _lrs(lambda o: ref.LambdaLR(o, lam), steps=9000, base=(1.0, 2.0))
    assert torch.allclose(a, b, rtol=1e-12, atol=0)
    peak = int(a[:, 0].argmax())
    assert peak + 1 == w                                      # s = t + 1 = w
    assert math.isclose(a[peak, 0].item(), d ** -0.5 * w ** -0.5, rel_tol=1e-12)
    assert noam_factor(w - 1, d, w) == pytest.approx(d ** -0.5 * w ** -0.5, rel=1e-12)


@pytest.mark.syllabus("optimization.lr_warmup")
def test_warmup_cosine_equals_lambda_lr():
    w, T = 10, 50
    lam = lambda t: (t + 1) / w if t + 1 < w else (1 + math.cos(math.pi * min(t + 1 - w, T - w) / (T - w))) / 2  # noqa
    _same(lambda o: WarmupCosineLR(o, warmup_steps=w, total_steps=T), lambda o: ref.LambdaLR(o, lam))


def test_bad_arguments_name_the_argument():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="total_steps"):
        WarmupCosineLR(opt, warmup_steps=10, total_steps=5)
    with pytest.raises(ValueError, match="d_model"):
        NoamLR(opt, d_model=-1)
