"""Max/avg/global pooling from the definition against torch, forward and backward."""
import random

import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import AvgPool2d, GlobalAvgPool2d, MaxPool2d, avg_pool2d, global_avg_pool2d, max_pool2d


def _configs(seed, n):
    rng = random.Random(seed)
    for _ in range(n):
        # kernel, stride and padding drawn separately per axis, so a swapped H/W index cannot pass
        kh, kw = rng.randint(1, 4), rng.randint(1, 4)
        yield dict(kernel_size=(kh, kw), stride=(rng.randint(1, 3), rng.randint(1, 3)),
                   padding=(rng.randint(0, kh // 2), rng.randint(0, kw // 2))), (rng.randint(kh, 9), rng.randint(kw, 9))


@pytest.mark.syllabus("cnn.max_pool")
def test_max_pool_equals_torch_forward_backward_indices():
    for cfg, (H, W) in _configs(0, 25):
        for ceil_mode in (False, True):
            for dil in (1, (1, 2), (2, 1)):
                dh, dw = (dil, dil) if isinstance(dil, int) else dil
                (kh, kw), (ph, pw) = cfg["kernel_size"], cfg["padding"]
                if H + 2 * ph < dh * (kh - 1) + 1 or W + 2 * pw < dw * (kw - 1) + 1:
                    continue
                x = torch.randn(2, 3, H, W, dtype=torch.float64, requires_grad=True)
                y, i = max_pool2d(x, **cfg, dilation=dil, ceil_mode=ceil_mode, return_indices=True)
                ry, ri = F.max_pool2d(x, **cfg, dilation=dil, ceil_mode=ceil_mode, return_indices=True)
                torch.testing.assert_close(y, ry)
                assert torch.equal(i, ri)
                g = torch.randn_like(ry)
                torch.testing.assert_close(torch.autograd.grad(y, x, g)[0], torch.autograd.grad(ry, x, g)[0])
    assert MaxPool2d(2, fast=False)(torch.randn(1, 3, 10, 10)).shape == (1, 3, 5, 5)   # 10x10x3 -> 5x5x3


@pytest.mark.syllabus("cnn.avg_pool")
def test_avg_pool_equals_torch_forward_backward():
    for cfg, (H, W) in _configs(1, 30):
        for cip in (True, False):
            x = torch.randn(2, 3, H, W, dtype=torch.float64, requires_grad=True)
            y = avg_pool2d(x, **cfg, count_include_pad=cip)
            ry = F.avg_pool2d(x, **cfg, count_include_pad=cip)
            torch.testing.assert_close(y, ry, atol=1e-7, rtol=0)
            g = torch.randn_like(ry)
            torch.testing.assert_close(torch.autograd.grad(y, x, g)[0], torch.autograd.grad(ry, x, g)[0],
                                       atol=1e-7, rtol=0)
    m = AvgPool2d(3, 2, 1, fast=False)
    torch.testing.assert_close(m(torch.ones(1, 1, 6, 6)), F.avg_pool2d(torch.ones(1, 1, 6, 6), 3, 2, 1))


@pytest.mark.syllabus("cnn.global_avg_pool")
def test_global_avg_pool():
    x = torch.randn(2, 512, 64, 64)
    torch.testing.assert_close(global_avg_pool2d(x), F.adaptive_avg_pool2d(x, 1).flatten(1))
    for hw in [(3, 5), (17, 9)]:
        assert GlobalAvgPool2d()(torch.randn(2, 7, *hw)).shape == (2, 7)
    with pytest.raises(ValueError, match="input"):
        global_avg_pool2d(torch.randn(2, 3))


@pytest.mark.syllabus("cnn.max_pool")
def test_pool_bad_input():
    with pytest.raises(ValueError, match="input"):
        max_pool2d(torch.randn(3, 4, 4), 2)
    with pytest.raises(ValueError, match="padding"):
        max_pool2d(torch.randn(1, 1, 4, 4), 2, padding=2)
