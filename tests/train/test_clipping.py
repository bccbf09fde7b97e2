"""Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""
import math

import pytest
import torch

from deepnotes.train import Trainer, clip_grad_norm_, clip_grad_value_, epoch_batches


def _params_with_grads(seed, scale=1.0, shapes=((5, 3), (3,), (4, 4, 2), (1,))):
    g = torch.Generator().manual_seed(seed)
    params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p in params:
        p.grad = torch.randn(p.shape, generator=g, dtype=torch.float64) * scale
    return params


def _clone(params):
    out = [p.detach().clone().requires_grad_(True) for p in params]
    for o, p in zip(out, params):
        o.grad = p.grad.clone()
    return out


@pytest.mark.syllabus("optimization.gradient_clipping")
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("seed", range(4))
def test_clip_grad_norm_equals_torch(norm_type, seed):
    ours = _params_with_grads(seed, scale=3.0)
    ref = _clone(ours)
    total = clip_grad_norm_(ours, max_norm=1.5, norm_type=norm_type)
    total_ref = torch.nn.utils.clip_grad_norm_(ref, max_norm=1.5, norm_type=norm_type)
    torch.testing.assert_close(total, total_ref, atol=1e-7, rtol=0)
    assert total > 1.5  # the clipping branch ran
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-7, rtol=0)
    # after clipping the global norm is max_norm (up to eps)
    new = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in ours]), norm_type)
    assert abs(new.item() - 1.5) < 1e-5


@pytest.mark.syllabus("optimization.gradient_clipping")
def test_clip_grad_norm_float32_model_equals_torch():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    ref.load_state_dict(net.state_dict())
    x = torch.randn(16, 6) * 10
    for m in (net, ref):
        (m(x) ** 2).sum().backward()
    clip_grad_norm_(net.parameters(), 0.1)
    torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.1)
    for a, b in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-7, rtol=1e-6)


@pytest.mark.syllabus("optimization.gradient_clipping")
def test_small_gradients_are_unchanged_bit_for_bit():
    params = _params_with_grads(1, scale=0.01)
    before = [p.grad.clone() for p in params]
    total = clip_grad_norm_(params, max_norm=10.0)
    expected = torch.linalg.vector_norm(torch.cat([b.flatten() for b in before]))
    torch.testing.assert_close(total, expected)
    for p, b in zip(params, before):
        assert torch.equal(p.grad, b)


@pytest.mark.syllabus("optimization.gradient_clipping")
def test_norm_clipping_keeps_direction():
    params = _params_with_grads(2, scale=5.0)
    before = torch.cat([p.grad.flatten() for p in params])
    clip_grad_norm_(params, max_norm=0.5)
    after = torch.cat([p.grad.flatten() for p in params])
    cos = torch.dot(before, after) / (before.norm() * after.norm())
    assert cos.item() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.syllabus("optimization.gradient_clipping")
@pytest.mark.parametrize("clip_value", [0.05, 0.5, 3.0])
def test_clip_grad_value_equals_torch(clip_value):
    ours = _params_with_grads(3)
    ref = _clone(ours)
    clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(ref, clip_value)
    for a, b in zip(ours, ref):
        assert torch.equal(a.grad, b.grad)
        assert a.grad.abs().max() <= clip_value


def test_parameters_without_grad_and_single_tensor():
    p = torch.zeros(3, requires_grad=True)
    assert clip_grad_norm_([p], 1.0).item() == 0.0   # no gradient at all
    p.grad = torch.tensor([3.0, 4.0, 0.0])
    total = clip_grad_norm_(p, 1.0)                  # a bare tensor works like torch
    assert total.item() == pytest.approx(5.0)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8, 0.0]), atol=1e-6, rtol=0)


def test_bad_arguments_name_the_argument():
    p = _params_with_grads(0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_(p, -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_(p, 1.0, norm_type=0)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_(p, -0.1)
    p[0].grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


@pytest.mark.syllabus("optimization.gradient_clipping")
def test_trainer_clipping_equals_bare_loop_with_torch_clipping():
    """Trainer(grad_clip_norm=c, grad_clip_value=v) == a plain loop calling torch's clip functions."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(40, 5, generator=g) * 4, torch.randint(0, 3, (40,), generator=g)
    data = torch.utils.data.TensorDataset(x, y)
    torch.manual_seed(1)
    a = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    b = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    b.load_state_dict(a.state_dict())
    opt_a, opt_b = torch.optim.SGD(a.parameters(), lr=0.5), torch.optim.SGD(b.parameters(), lr=0.5)
    loss_fn = torch.nn.functional.cross_entropy
    Trainer(a, opt_a, loss_fn, data, epochs=2, batch_size=8, seed=5, grad_clip_norm=0.3,
            grad_clip_value=0.2).fit()
    for epoch in range(2):
        for idx in epoch_batches(40, 8, seed=5, epoch=epoch):
            opt_b.zero_grad()
            loss_fn(b(x[idx]), y[idx]).backward()
            torch.nn.utils.clip_grad_value_(b.parameters(), 0.2)
            torch.nn.utils.clip_grad_norm_(b.parameters(), 0.3)
            opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, atol=1e-6, rtol=1e-6)
