"""BatchNorm1d/2d and LayerNorm against torch's, both the equation path and the fused path."""
import pytest
import torch

from deepnotes.nn import BatchNorm1d, BatchNorm2d, LayerNorm, batch_norm

D = torch.float64


def _pair(ours_cls, ref_cls, *args, **kw):
    torch.manual_seed(0)
    ref = ref_cls(*args, dtype=D, **kw)
    ours = ours_cls(*args, dtype=D, **kw)
    if getattr(ref, "weight", None) is not None:           # non-trivial affine parameters
        with torch.no_grad():
            ref.weight.uniform_(0.5, 1.5)
            if ref.bias is not None:
                ref.bias.uniform_(-1, 1)
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _step(ours, ref, x):
    xo, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    yo, yr = ours(xo), ref(xr)
    torch.testing.assert_close(yo, yr, atol=1e-10, rtol=1e-9)
    g = torch.randn_like(yr)
    yo.backward(g)
    yr.backward(g)
    torch.testing.assert_close(xo.grad, xr.grad, atol=1e-10, rtol=1e-9)
    for (n, po), pr in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(po.grad, pr.grad, atol=1e-10, rtol=1e-9, msg=n)
    for (n, bo), br in zip(ours.named_buffers(), ref.buffers()):
        torch.testing.assert_close(bo, br, atol=1e-12, rtol=1e-12, msg=n)


CASES = [(BatchNorm1d, torch.nn.BatchNorm1d, (8, 5)), (BatchNorm1d, torch.nn.BatchNorm1d, (6, 5, 7)),
         (BatchNorm2d, torch.nn.BatchNorm2d, (4, 5, 3, 3))]


@pytest.mark.syllabus("training.batch_norm")
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("momentum", [0.1, None, 0.3])
@pytest.mark.parametrize("ours_cls,ref_cls,shape", CASES)
def test_batch_norm_equals_torch_train_then_eval(ours_cls, ref_cls, shape, momentum, fused):
    ours, ref = _pair(ours_cls, ref_cls, 5, momentum=momentum)
    ours.fused = fused
    for i in range(4):                                      # running stats over several batches
        _step(ours.train(), ref.train(), torch.randn(shape, dtype=D) * 3 + i)
    assert ours.num_batches_tracked.item() == 4
    _step(ours.eval(), ref.eval(), torch.randn(shape, dtype=D))
    sd = ours.state_dict()
    assert set(sd) == set(ref.state_dict()) == {"weight", "bias", "running_mean", "running_var",
                                                "num_batches_tracked"}


@pytest.mark.syllabus("training.batch_norm")
@pytest.mark.parametrize("kw", [dict(affine=False), dict(track_running_stats=False)])
def test_batch_norm_options_equal_torch(kw):
    ours, ref = _pair(BatchNorm1d, torch.nn.BatchNorm1d, 5, **kw)
    ours.fused = False
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(ref, mode)()
        _step(ours, ref, torch.randn(10, 5, dtype=D) * 2 + 1)


@pytest.mark.syllabus("training.batch_norm")
def test_cumulative_average_with_momentum_none():
    bn = BatchNorm1d(3, momentum=None, fused=False, dtype=D)
    batches = [torch.randn(16, 3, dtype=D) + k for k in range(5)]
    for b in batches:
        bn(b)
    torch.testing.assert_close(bn.running_mean, torch.stack([b.mean(0) for b in batches]).mean(0))
    torch.testing.assert_close(bn.running_var, torch.stack([b.var(0) for b in batches]).mean(0))


@pytest.mark.syllabus("training.batch_norm")
def test_gradient_differs_from_constant_statistics():
    x = torch.randn(8, 4, dtype=D, requires_grad=True)
    g = torch.randn(8, 4, dtype=D)
    (full,) = torch.autograd.grad((batch_norm(x, None, None, training=True) * g).sum(), x)
    mu, var = x.detach().mean(0), x.detach().var(0, unbiased=False)
    (const,) = torch.autograd.grad((((x - mu) / torch.sqrt(var + 1e-5)) * g).sum(), x)
    assert (full - const).abs().max() > 1e-2
    torch.testing.assert_close(full.sum(0), torch.zeros(4, dtype=D), atol=1e-10, rtol=0)  # mean-free
    assert torch.autograd.gradcheck(lambda t: batch_norm(t, None, None, training=True), (x,))


@pytest.mark.syllabus("training.batch_norm")
def test_fused_and_equation_paths_agree_float32():
    a, b = BatchNorm2d(6, fused=True), BatchNorm2d(6, fused=False)
    for _ in range(3):
        x = torch.randn(8, 6, 5, 5) * 2 + 1
        torch.testing.assert_close(a(x), b(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.running_var, b.running_var, atol=1e-6, rtol=1e-6)
    a.eval(), b.eval()
    x = torch.randn(8, 6, 5, 5)
    torch.testing.assert_close(a(x), b(x), atol=1e-5, rtol=1e-5)


def test_batch_norm_bad_input():
    with pytest.raises(ValueError, match="input: expected a 4D tensor"):
        BatchNorm2d(3)(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="input: expected 3 channels in dim 1"):
        BatchNorm1d(3)(torch.randn(4, 2))
    with pytest.raises(ValueError, match="input: expected more than 1 value per channel"):
        BatchNorm1d(3, fused=False)(torch.randn(1, 3))
    with pytest.raises(TypeError, match="input: expected a floating-point tensor"):
        BatchNorm1d(3)(torch.ones(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="momentum: expected None or a float"):
        BatchNorm1d(3, momentum=2.0)


@pytest.mark.syllabus("training.layer_norm")
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("shape,norm", [((4, 7), 7), ((2, 3, 6), (6,)), ((2, 3, 4, 5), (4, 5))])
def test_layer_norm_equals_torch(shape, norm, fused):
    ours, ref = _pair(LayerNorm, torch.nn.LayerNorm, norm)
    ours.fused = fused
    _step(ours, ref, torch.randn(shape, dtype=D) * 2 + 3)
    ours, ref = _pair(LayerNorm, torch.nn.LayerNorm, norm, elementwise_affine=False)
    ours.fused = fused
    _step(ours, ref, torch.randn(shape, dtype=D))
    ours, ref = _pair(LayerNorm, torch.nn.LayerNorm, norm, bias=False)
    ours.fused = fused
    _step(ours, ref, torch.randn(shape, dtype=D))


@pytest.mark.syllabus("training.layer_norm")
def test_layer_norm_independent_of_batch():
    ln = LayerNorm(10, fused=False)
    x = torch.randn(5, 10)
    alone = ln(x[2:3])
    assert torch.equal(ln(x)[2:3], alone)
    torch.testing.assert_close(LayerNorm(10, fused=True)(x), ln(x), atol=1e-6, rtol=1e-6)


def test_layer_norm_bad_input():
    with pytest.raises(ValueError, match=r"input: expected a tensor ending in normalized_shape=\(5,\)"):
        LayerNorm(5)(torch.randn(3, 4))
    with pytest.raises(ValueError, match="normalized_shape: expected a positive int"):
        LayerNorm(0)
