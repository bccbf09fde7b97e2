"""Conv1d/2d/3d from the definition against torch's F.convNd, forward and backward."""
import random

import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import Conv1d, Conv2d, Conv3d, conv_nd


def _random_config(rng, n):
    groups = rng.choice([1, 1, 2, 3])
    c_in, c_out = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
    k = [rng.randint(1, 4) for _ in range(n)]
    s = [rng.randint(1, 3) for _ in range(n)]
    d = [rng.randint(1, 2) for _ in range(n)]
    p = [rng.randint(0, 2) for _ in range(n)]
    size = [rng.randint(dd * (kk - 1) + 1, 7) for kk, dd in zip(k, d)]
    return c_in, c_out, k, s, p, d, groups, size


def _check_against_torch(n, cfg, torch_fn):
    c_in, c_out, k, s, p, d, groups, size = cfg
    x = torch.randn(1, c_in, *size, dtype=torch.float64, requires_grad=True)
    w = torch.randn(c_out, c_in // groups, *k, dtype=torch.float64, requires_grad=True)
    b = torch.randn(c_out, dtype=torch.float64, requires_grad=True)
    ours = conv_nd(x, w, b, s, p, d, groups)
    ref = torch_fn(x, w, b, s, p, d, groups)
    assert ours.shape == ref.shape, cfg
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    g = torch.randn_like(ref)
    grads = torch.autograd.grad(ours, (x, w, b), g)
    ref_grads = torch.autograd.grad(ref, (x, w, b), g)
    for a, r in zip(grads, ref_grads):
        torch.testing.assert_close(a, r, atol=1e-10, rtol=1e-10)


@pytest.mark.syllabus("cnn.conv2d")
def test_conv2d_equals_torch_on_200_random_configs():
    rng = random.Random(0)
    for _ in range(200):
        _check_against_torch(2, _random_config(rng, 2), F.conv2d)


@pytest.mark.syllabus("cnn.conv1d")
def test_conv1d_equals_torch_on_random_configs():
    rng = random.Random(1)
    for _ in range(50):
        _check_against_torch(1, _random_config(rng, 1), F.conv1d)


@pytest.mark.syllabus("cnn.conv3d")
def test_conv3d_equals_torch_on_random_configs():
    rng = random.Random(2)
    for _ in range(20):
        _check_against_torch(3, _random_config(rng, 3), F.conv3d)


@pytest.mark.syllabus("cnn.conv2d")
@pytest.mark.parametrize("fast", [True, False])
def test_conv2d_module_loads_torch_state_dict(fast):
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    ours = Conv2d(4, 6, 3, stride=2, padding=1, groups=2, fast=fast)
    assert ours.weight.shape == ref.weight.shape and ours.bias.shape == ref.bias.shape
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(3, 4, 11, 9)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)


@pytest.mark.syllabus("cnn.conv2d")
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_equal_torch(mode):
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode)
    ours = Conv2d(2, 3, 3, padding=1, padding_mode=mode, fast=False)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(1, 2, 6, 7)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)


@pytest.mark.syllabus("cnn.conv2d")
def test_same_padding_and_weight_count():
    x = torch.randn(1, 3, 10, 10)
    for k, d in [(3, 1), (4, 1), (3, 2), (5, 3)]:
        conv = Conv2d(3, 2, k, padding="same", dilation=d, fast=False)
        assert conv(x).shape[-2:] == (10, 10)
        torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight, conv.bias, padding="same", dilation=d),
                                   atol=1e-5, rtol=1e-5)
    assert Conv2d(1, 1, 4, bias=False).weight.numel() == 16     # a 4x4 filter has 16 weights per channel


@pytest.mark.syllabus("cnn.conv1d", "cnn.conv3d")
def test_conv1d_conv3d_modules_match_torch():
    torch.manual_seed(0)
    for ours_cls, ref_cls, shape in [(Conv1d, torch.nn.Conv1d, (2, 4, 17)), (Conv3d, torch.nn.Conv3d, (2, 4, 5, 6, 7))]:
        ref = ref_cls(4, 2, 3, stride=2, padding=1, dilation=1, groups=2)
        ours = ours_cls(4, 2, 3, stride=2, padding=1, groups=2, fast=False)
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(*shape)
        torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)


@pytest.mark.syllabus("cnn.dilated_conv")
def test_dilated_conv_equals_zero_inserted_kernel_and_keeps_size():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 12, 12, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    for D in (2, 3):
        big = torch.zeros(4, 3, D * 2 + 1, D * 2 + 1, dtype=torch.float64)
        big[..., ::D, ::D] = w                                  # zero-inserted kernel
        torch.testing.assert_close(conv_nd(x, w, dilation=D), F.conv2d(x, big))
    assert conv_nd(x, w, padding=2, dilation=2).shape[-2:] == (12, 12)


@pytest.mark.syllabus("cnn.conv2d")
def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="input"):
        Conv2d(3, 4, 5)(torch.randn(1, 3, 3, 3))               # kernel larger than the input
    with pytest.raises(ValueError, match="input"):
        conv_nd(torch.randn(1, 3, 3, 3), torch.randn(4, 3, 5, 5))
    with pytest.raises(ValueError, match="input"):
        Conv2d(3, 4, 3)(torch.randn(3, 3))                       # wrong rank
    with pytest.raises(ValueError, match="channels"):
        Conv2d(3, 4, 3)(torch.randn(1, 2, 8, 8))


@pytest.mark.syllabus("cnn.conv2d", "cnn.conv1d", "cnn.dilated_conv")
@pytest.mark.parametrize("fast", [True, False])
def test_bad_input_messages_give_argument_expected_and_given(fast):
    """The issue's bad-input cases: kernel larger than the padded input, channels not divisible by groups,
    wrong rank or channel count; each message is 'argument: expected ..., got <given>'."""
    with pytest.raises(ValueError, match=r"input: expected padded.*size >= dilated kernel size 5 .*got \(1, 3, 3, 3\)"):
        Conv2d(3, 4, 5, fast=fast)(torch.randn(1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"input: expected padded.*dilated kernel size 7 .*got \(1, 3, 5, 6\)"):
        Conv2d(3, 4, 3, dilation=3, padding=0, fast=fast)(torch.randn(1, 3, 5, 6))     # D(K-1)+1 = 7 > 5
    assert Conv2d(3, 4, 3, dilation=3, padding=1, fast=fast)(torch.randn(1, 3, 5, 6)).shape == (1, 4, 1, 2)
    with pytest.raises(ValueError, match=r"input: expected padded.*dilated kernel size 4 .*got \(2, 1, 3\)"):
        Conv1d(1, 1, 4, fast=fast)(torch.randn(2, 1, 3))
    with pytest.raises(ValueError, match=r"groups: expected a divisor of in_channels=3, got 2"):
        Conv2d(3, 4, 3, groups=2, fast=fast)
    with pytest.raises(ValueError, match=r"groups: expected a divisor of out_channels=3, got 2"):
        Conv2d(4, 3, 3, groups=2, fast=fast)
    with pytest.raises(ValueError, match=r"input: expected a 4-D .*got \(3, 3\)"):
        Conv2d(3, 4, 3, fast=fast)(torch.randn(3, 3))
    with pytest.raises(ValueError, match=r"input: expected 3 channels in dim 1, got \(1, 2, 8, 8\)"):
        Conv2d(3, 4, 3, fast=fast)(torch.randn(1, 2, 8, 8))
    with pytest.raises(ValueError, match=r"groups: expected a divisor of the input channels 3, got 2"):
        conv_nd(torch.randn(1, 3, 5, 5), torch.randn(4, 1, 3, 3), groups=2)
