"""Transposed convolution: equal to F.conv_transpose2d, to the zero-insertion construction, and adjoint of conv."""
import random

import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import ConvTranspose2d, conv_transpose2d, conv_transpose2d_zero_insertion


@pytest.mark.syllabus("cnn.transposed_conv")
def test_equals_torch_forward_backward_random_configs():
    rng = random.Random(0)
    for _ in range(60):
        g = rng.choice([1, 2])
        c_in, c_out = g * rng.randint(1, 3), g * rng.randint(1, 3)
        # every hyperparameter drawn separately per axis, so a swapped H/W index cannot pass
        k = (rng.randint(1, 4), rng.randint(1, 4))
        s, d = (rng.randint(1, 3), rng.randint(1, 3)), (rng.randint(1, 2), rng.randint(1, 2))
        p = tuple(rng.randint(0, (dd * (kk - 1)) // 2) for kk, dd in zip(k, d))
        op = tuple(rng.randint(0, max(ss, dd) - 1) for ss, dd in zip(s, d))
        x = torch.randn(2, c_in, rng.randint(1, 6), rng.randint(1, 6), dtype=torch.float64, requires_grad=True)
        w = torch.randn(c_in, c_out // g, *k, dtype=torch.float64, requires_grad=True)
        b = torch.randn(c_out, dtype=torch.float64, requires_grad=True)
        try:
            ref = F.conv_transpose2d(x, w, b, s, p, op, g, d)
        except RuntimeError:
            continue
        ours = conv_transpose2d(x, w, b, s, p, op, g, d)
        torch.testing.assert_close(ours, ref)
        gy = torch.randn_like(ref)
        for a, r in zip(torch.autograd.grad(ours, (x, w, b), gy), torch.autograd.grad(ref, (x, w, b), gy)):
            torch.testing.assert_close(a, r)


@pytest.mark.syllabus("cnn.transposed_conv")
def test_zero_insertion_construction_and_adjoint():
    torch.manual_seed(0)
    for s, p, k in [(2, 0, 3), (2, 1, 4), (3, 1, 3), (1, 0, 2), ((2, 3), (1, 0), (3, 2))]:
        x = torch.randn(2, 3, 5, 4, dtype=torch.float64)
        w = torch.randn(3, 2, *((k, k) if isinstance(k, int) else k), dtype=torch.float64)
        ref = F.conv_transpose2d(x, w, stride=s, padding=p)
        torch.testing.assert_close(conv_transpose2d_zero_insertion(x, w, stride=s, padding=p), ref)
        # adjoint: <conv(z), x> = <z, conv_T(x)> for z of conv_T's output shape
        z = torch.randn_like(ref)
        lhs = (F.conv2d(z, w, stride=s, padding=p) * x).sum()
        rhs = (z * conv_transpose2d(x, w, stride=s, padding=p)).sum()
        torch.testing.assert_close(lhs, rhs)


@pytest.mark.syllabus("cnn.transposed_conv")
def test_overlaps_are_summed_not_averaged():
    x = torch.ones(1, 1, 2, 2)
    w = torch.ones(1, 1, 3, 3)
    y = conv_transpose2d(x, w, stride=2)                      # centre pixel gets 4 overlapping copies
    assert y[0, 0, 2, 2] == 4.0


@pytest.mark.syllabus("cnn.transposed_conv")
@pytest.mark.parametrize("fast", [True, False])
def test_module_loads_torch_state_dict(fast):
    torch.manual_seed(0)
    ref = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    ours = ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, fast=fast)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 4, 5, 5)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="groups"):
        ConvTranspose2d(3, 4, 3, groups=2)
