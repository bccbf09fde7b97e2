"""Output-size formulas against the shapes torch layers actually produce; receptive fields."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import (TemporalConvNet, conv_output_size, conv_param_count, conv_transpose_output_size,
                          input_size_for_output, pool_output_size, receptive_field)


@pytest.mark.syllabus("cnn.conv_output_size")
def test_formulas_equal_torch_shapes_over_grid():
    checked = 0
    for W in list(range(1, 20)) + [31, 48, 64]:
        x = torch.empty(1, 1, W, device="meta")
        for K in range(1, 8):
            for S in range(1, 5):
                for P in range(0, 4):
                    for D in range(1, 4):
                        if W + 2 * P >= D * (K - 1) + 1:
                            y = F.conv1d(x, torch.empty(1, 1, K, device="meta"), stride=S, padding=P, dilation=D)
                            assert conv_output_size(W, K, S, P, D) == y.shape[-1]
                            checked += 1
                        if P <= K // 2 and W + 2 * P >= D * (K - 1) + 1:
                            for ceil in (False, True):
                                y = F.max_pool1d(torch.zeros(1, 1, W), K, S, P, D, ceil_mode=ceil)
                                assert pool_output_size(W, K, S, P, D, ceil) == y.shape[-1], (W, K, S, P, D, ceil)
                        if P <= D * (K - 1) and W <= 16:
                            for op in range(max(S, D)):
                                if conv_transpose_output_size(W, K, S, P, op, D) <= 0:
                                    continue
                                y = F.conv_transpose1d(x, torch.empty(1, 1, K, device="meta"), stride=S,
                                                       padding=P, output_padding=op, dilation=D)
                                assert conv_transpose_output_size(W, K, S, P, op, D) == y.shape[-1]
    assert checked > 1000
    assert conv_output_size(9, 3, padding="same", dilation=2) == 9 and conv_output_size(9, 3, padding="valid") == 7
    with pytest.raises(ValueError, match="kernel_size"):
        conv_output_size(3, 5)


@pytest.mark.syllabus("cnn.receptive_field")
def test_receptive_field_values():
    assert receptive_field([(3, 1)] * 2) == (5, 1)
    assert receptive_field([(3, 1)] * 3) == (7, 1)
    assert receptive_field([(3, 1, 2)]) == (5, 1)
    # The InceptionV3-stem-equivalent single conv: stride 32, kernel 75 -> D_in = 32 D_out + 43
    for d_out in (1, 2, 8):
        assert input_size_for_output([(75, 32)], d_out) == 32 * d_out + 43
    assert receptive_field([(75, 32)]) == (75, 32)
    assert input_size_for_output([(75, 32)], 8) == 299          # a 299-px input gives an 8x8 heatmap
    # and the receptive field equals an empirical measurement: the input pixels an output depends on
    layers = [(3, 1), (3, 2), (3, 1, 2)]
    x = torch.zeros(1, 1, 40, requires_grad=True)
    h = x
    for k, s, *d in layers:
        h = F.conv1d(h, torch.ones(1, 1, k), stride=s, dilation=d[0] if d else 1)
    h[0, 0, 3].backward()
    assert int((x.grad != 0).sum()) == receptive_field(layers)[0]
    # walking back through a real, order-sensitive stack: the size returned is the smallest input
    # from which those layers produce out_size outputs
    stack = [(7, 2), (3, 1, 2), (3, 2), (5, 1)]

    def run(n):
        h = torch.zeros(1, 1, n)
        for k, s, *d in stack:
            if h.shape[-1] < (d[0] if d else 1) * (k - 1) + 1:
                return 0
            h = F.conv1d(h, torch.ones(1, 1, k), stride=s, dilation=d[0] if d else 1)
        return h.shape[-1]
    for out in (1, 3, 6):
        n = input_size_for_output(stack, out)
        assert run(n) == out and run(n - 1) < out


@pytest.mark.syllabus("cnn.causal_dilated_conv")
def test_tcn_receptive_field_1024_and_causality():
    torch.manual_seed(0)
    net = TemporalConvNet(1, 2, num_layers=10, kernel_size=2)
    assert net.receptive_field == 1024
    with torch.no_grad():                                        # positive weights and inputs keep every ReLU open
        for p in net.parameters():
            p.abs_()
    x = torch.rand(1, 1, 1100, requires_grad=True)
    net(x)[0, 0, -1].backward()
    assert int((x.grad[0, 0] != 0).sum()) == 1024               # measured, not just computed
    y = net(x).detach()
    t = 600
    x2 = x.detach().clone()
    x2[..., t + 1:] = torch.randn(1, 1, 1100 - t - 1)
    assert torch.equal(net(x2)[..., :t + 1].detach(), y[..., :t + 1])   # exact: no future leaks


@pytest.mark.syllabus("cnn.conv_output_size")
def test_param_count_matches_modules():
    assert conv_param_count(16, 32, 3, bias=False) == torch.nn.Conv2d(16, 32, 3, bias=False).weight.numel()
    assert conv_param_count(16, 16, 3, groups=16, bias=False) == 144
