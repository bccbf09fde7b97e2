"""Depthwise, pointwise and depthwise-separable convolutions."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import DepthwiseConv2d, DepthwiseSeparableConv2d, PointwiseConv2d


@pytest.mark.syllabus("cnn.depthwise_conv")
def test_depthwise_equals_grouped_conv_and_144_weights():
    torch.manual_seed(0)
    dw = DepthwiseConv2d(16, 3, padding=1, bias=False, fast=False)
    assert dw.weight.numel() == 144
    x = torch.randn(2, 16, 7, 7)
    torch.testing.assert_close(dw(x), F.conv2d(x, dw.weight, padding=1, groups=16), atol=1e-5, rtol=1e-5)
    # no mixing across channels: perturbing channel 3 changes only output channel 3
    x2 = x.clone()
    x2[:, 3] += 1
    changed = (dw(x2) - dw(x)).abs().sum(dim=(0, 2, 3)) > 0
    assert changed.tolist() == [c == 3 for c in range(16)]


@pytest.mark.syllabus("cnn.pointwise_conv")
def test_pointwise_equals_einsum_and_512_weights():
    torch.manual_seed(0)
    pw = PointwiseConv2d(16, 32, bias=False, fast=False)
    assert pw.weight.numel() == 512
    x = torch.randn(2, 16, 5, 6, dtype=torch.float64)
    pw = pw.double()
    torch.testing.assert_close(pw(x), torch.einsum("oc,bchw->bohw", pw.weight[:, :, 0, 0], x), atol=1e-7, rtol=0)


@pytest.mark.syllabus("cnn.depthwise_separable_conv")
def test_separable_656_vs_4608_parameters():
    sep = DepthwiseSeparableConv2d(16, 32, 3, bias=False)
    assert sum(p.numel() for p in sep.parameters()) == 144 + 512 == 656
    assert torch.nn.Conv2d(16, 32, 3, bias=False).weight.numel() == 4608
    x = torch.randn(1, 16, 8, 8)
    ref = F.conv2d(F.conv2d(x, sep.depthwise.weight, groups=16), sep.pointwise.weight)
    torch.testing.assert_close(sep(x), ref, atol=1e-5, rtol=1e-5)
