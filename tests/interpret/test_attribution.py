import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import r2_score
from torch import nn

from deepnotes.interpret import (deconvnet, guided_backprop, integrated_gradients, lime, occlusion,
                                 riemann_points, saliency, saliency_to_image, smoothgrad)


def _linear(d=6, k=3, seed=0):
    torch.manual_seed(seed)
    return nn.Linear(d, k).double()


def _cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 5)).double()


class Saturating(nn.Module):
    def forward(self, x):                                       # f(x) = min(x, 1), scalar per example
        return torch.clamp(x, max=1.0).sum(1)


@pytest.mark.syllabus("interpretability.saliency_map")
def test_saliency_linear_and_cnn_against_jacobian():
    lin = _linear()
    x = torch.randn(4, 6, dtype=torch.float64)
    s = saliency(lin, x, target=2)
    assert s.shape == x.shape
    torch.testing.assert_close(s, lin.weight[2].abs().expand(4, 6))
    cnn = _cnn()
    xi = torch.randn(3, 1, 8, 8, dtype=torch.float64)
    tgt = torch.tensor([0, 4, 2])
    jac = torch.autograd.functional.jacobian(lambda z: cnn(z), xi)           # (B, K, B, 1, 8, 8)
    ref = torch.stack([jac[b, tgt[b], b] for b in range(3)]).abs()
    torch.testing.assert_close(saliency(cnn, xi, tgt), ref, atol=1e-6, rtol=0)
    a = torch.randn(2, 3, 5, 5)
    img = saliency_to_image(a)                                  # max over channels of |attribution|
    assert img.shape == (2, 5, 5)
    torch.testing.assert_close(img, torch.maximum(torch.maximum(a[:, 0].abs(), a[:, 1].abs()), a[:, 2].abs()))
    with pytest.raises(ValueError, match="target"):
        saliency(lin, x, target=7)


@pytest.mark.syllabus("interpretability.smoothgrad")
def test_smoothgrad_limits_and_definition():
    lin = _linear()
    x = torch.randn(2, 6, dtype=torch.float64)
    sg = smoothgrad(lin, x, 1, n_samples=10, stdevs=3.0, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(sg, lin.weight[1].abs().expand(2, 6))           # linear: any sigma
    cnn = _cnn()
    xi = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    tiny = smoothgrad(cnn, xi, 3, n_samples=4, stdevs=1e-9, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(tiny, saliency(cnn, xi, 3), atol=1e-6, rtol=0)  # sigma -> 0
    # with fixed noise: the mean of saliency maps at the noisy points (NoiseTunnel 'smoothgrad')
    g = torch.Generator().manual_seed(5)
    sg = smoothgrad(cnn, xi, 3, n_samples=6, noise_level=0.15, generator=g)
    g = torch.Generator().manual_seed(5)
    sigma = 0.15 * (xi.reshape(2, -1).max(1).values - xi.reshape(2, -1).min(1).values)
    noise = torch.randn((6,) + tuple(xi.shape), generator=g, dtype=xi.dtype) * sigma.view(1, 2, 1, 1, 1)
    ref = torch.stack([saliency(cnn, xi + noise[k], 3) for k in range(6)]).mean(0)
    torch.testing.assert_close(sg, ref)


@pytest.mark.syllabus("interpretability.integrated_gradients")
def test_ig_linear_exact_saturation_and_completeness():
    lin = _linear()
    x = torch.randn(3, 6, dtype=torch.float64)
    base = torch.randn(1, 6, dtype=torch.float64)
    ig = integrated_gradients(lin, x, 0, baselines=base, n_steps=7)
    torch.testing.assert_close(ig, (x - base) * lin.weight[0])
    # saturating f = min(x, 1) at x = 2: gradient 0 but IG = 1
    x2 = torch.tensor([[2.0]], dtype=torch.float64)
    assert saliency(Saturating(), x2).item() == 0.0
    ig2 = integrated_gradients(Saturating(), x2, n_steps=300, method="riemann_middle")
    assert abs(ig2.item() - 1.0) < 1e-2
    # completeness on an MLP within 1% at m = 300 (trapezoid, as the notes)
    torch.manual_seed(1)
    mlp = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Softplus(), nn.Linear(16, 3)).double()
    x = torch.randn(5, 6, dtype=torch.float64)
    for method in ("riemann_trapezoid", "gausslegendre"):
        attr, delta = integrated_gradients(mlp, x, 2, n_steps=300, method=method, return_convergence_delta=True)
        gap = mlp(x)[:, 2] - mlp(torch.zeros_like(x))[:, 2]
        torch.testing.assert_close(attr.sum(1) - gap, delta)
        assert (delta.abs() <= 0.01 * gap.abs()).all()
    # per-example targets and chunked evaluation give the same numbers
    tgt = torch.tensor([0, 1, 2, 0, 1])
    a = integrated_gradients(mlp, x, tgt, n_steps=20)
    b = integrated_gradients(mlp, x, tgt, n_steps=20, internal_batch_size=7)
    loop = torch.cat([integrated_gradients(mlp, x[i:i + 1], int(tgt[i]), n_steps=20) for i in range(5)])
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, loop)


def test_riemann_points_are_quadrature_rules():
    for m in ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre"):
        a, w = riemann_points(64, m)
        assert abs(sum(w) - 1) < 1e-12
        assert abs(sum(wi * ai ** 2 for ai, wi in zip(a, w)) - 1 / 3) < 2e-2   # integral of a^2
    with pytest.raises(ValueError, match="method"):
        riemann_points(5, "simpson")


def _hand_relu_rules(W1, b1, W2, x, c, rule):
    z = W1 @ x + b1
    g = W2[c]
    if rule == "guided":
        g = torch.relu(g * (z > 0))
    else:
        g = torch.relu(g)
    return W1.t() @ g


@pytest.mark.syllabus("interpretability.guided_backprop", "interpretability.deconvnet")
def test_relu_rules_match_hand_computation_on_tiny_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 7), nn.ReLU(inplace=True), nn.Linear(7, 3)).double()
    x = torch.randn(4, 5, dtype=torch.float64)
    gb, dc = guided_backprop(net, x, 1), deconvnet(net, x, 1)
    W1, b1, W2 = net[0].weight, net[0].bias, net[2].weight
    for i in range(4):
        torch.testing.assert_close(gb[i], _hand_relu_rules(W1, b1, W2, x[i], 1, "guided"))
        torch.testing.assert_close(dc[i], _hand_relu_rules(W1, b1, W2, x[i], 1, "deconv"))
    assert net[1].inplace                                       # restored
    # hooks are removed afterwards: plain gradients come back
    torch.testing.assert_close(saliency(net, x, 1, abs=False), torch.autograd.functional.jacobian(
        lambda z: net(z)[:, 1].sum(), x))


@pytest.mark.syllabus("interpretability.guided_backprop")
def test_guided_backprop_cnn_against_manual_backward():
    cnn = _cnn(2)
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64)            # non-negative input
    gb = guided_backprop(cnn, x, 3)
    # a manual pass: forward with recorded ReLU inputs and pool switches, backward by the rule
    conv1, pool, conv2, lin = cnn[0], cnn[2], cnn[3], cnn[6]
    z1 = conv1(x)
    a1, idx = F.max_pool2d(torch.relu(z1), 2, return_indices=True)
    z2 = conv2(a1)
    g = lin.weight[3].view(1, 6, 4, 4).expand(2, -1, -1, -1)
    g = torch.relu(g * (z2 > 0))
    g = F.conv_transpose2d(g, conv2.weight, padding=1)
    g = F.max_unpool2d(g, idx, 2, output_size=z1.shape[-2:])
    g = torch.relu(g * (z1 > 0))
    ref = F.conv_transpose2d(g, conv1.weight, padding=1)
    torch.testing.assert_close(gb, ref, atol=1e-6, rtol=0)
    assert gb.shape == x.shape


@pytest.mark.syllabus("interpretability.deconvnet")
def test_deconvnet_cnn_is_zeiler_fergus_projection():
    cnn = _cnn(3)
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    dc = deconvnet(cnn, x, 1)
    conv1, conv2, lin = cnn[0], cnn[3], cnn[6]
    _, idx = F.max_pool2d(torch.relu(conv1(x)), 2, return_indices=True)
    g = torch.relu(lin.weight[1].view(1, 6, 4, 4).expand(2, -1, -1, -1))   # ReLU on the backward signal
    g = F.conv_transpose2d(g, conv2.weight, padding=1)                      # transposed (flipped) kernels
    g = F.max_unpool2d(g, idx, 2, output_size=(8, 8))                       # switches
    ref = F.conv_transpose2d(torch.relu(g), conv1.weight, padding=1)
    torch.testing.assert_close(dc, ref, atol=1e-6, rtol=0)
    # positive gradient passes a ReLU whose forward input was negative
    net = nn.Sequential(nn.Linear(1, 1), nn.ReLU()).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0), net[0].bias.fill_(0.0)
    assert deconvnet(net, torch.tensor([[-2.0]], dtype=torch.float64), 0).item() == 1.0
    assert guided_backprop(net, torch.tensor([[-2.0]], dtype=torch.float64), 0).item() == 0.0
    with pytest.raises(ValueError, match="model"):
        deconvnet(nn.Linear(2, 2), torch.randn(1, 2), 0)


@pytest.mark.syllabus("interpretability.occlusion")
def test_occlusion_linear_exact_and_patch_mean():
    lin = _linear(12, 2)
    x = torch.randn(3, 12, dtype=torch.float64)
    torch.testing.assert_close(occlusion(lin, x, 1), x * lin.weight[1])
    # 2-D windows with overlap: compare with a direct loop over windows
    cnn = _cnn(4)
    xi = torch.randn(1, 1, 8, 8, dtype=torch.float64)
    att = occlusion(cnn, xi, 2, sliding_window_shapes=(1, 3, 3), strides=(1, 2, 2), baselines=0.5)
    ref, cnt = torch.zeros_like(xi), torch.zeros_like(xi)
    f0 = cnn(xi)[0, 2]
    for i in range(0, 6, 2):
        for j in range(0, 6, 2):
            z = xi.clone()
            z[..., i:i + 3, j:j + 3] = 0.5
            ref[..., i:i + 3, j:j + 3] += f0 - cnn(z)[0, 2]
            cnt[..., i:i + 3, j:j + 3] += 1
    torch.testing.assert_close(att, ref / cnt.clamp(min=1))
    with pytest.raises(ValueError, match="sliding_window_shapes"):
        occlusion(cnn, xi, 2, sliding_window_shapes=(1, 9, 9))


@pytest.mark.syllabus("interpretability.lime")
def test_lime_recovers_linear_model_and_is_seeded():
    lin = _linear(10, 2, 5)
    x = torch.randn(1, 10, dtype=torch.float64)
    attr, (c, b, r2) = lime(lin, x, 0, n_samples=300, kernel_width=100.0,
                            generator=torch.Generator().manual_seed(0), return_surrogate=True)
    truth = (lin.weight[0] * x[0]).detach()
    assert r2_score(truth.numpy(), attr[0].numpy()) > 0.99 and r2 > 0.99
    a2 = lime(lin, x, 0, n_samples=300, kernel_width=100.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(attr, a2)
    # grouped features (superpixels) and sparsity
    mask = torch.arange(10) // 2
    ga = lime(lin, x, 0, feature_mask=mask, num_features=2, generator=torch.Generator().manual_seed(1))
    assert ga.shape == x.shape and (ga != 0).sum() == 4
    with pytest.raises(ValueError, match="inputs"):
        lime(lin, torch.randn(2, 10, dtype=torch.float64), 0)


@pytest.mark.syllabus("interpretability.lime")
def test_lime_is_the_kernel_weighted_ridge_fit_of_sklearn():
    """On a non-linear model with a narrow kernel the surrogate must be the pi_x-weighted ridge fit:
    the same perturbations (drawn as LIME draws them: keep each feature with prob. 1/2, the first
    sample is x itself), weights exp(-D^2 / sigma^2) with D = ||1 - z|| / sqrt(d), fitted by
    sklearn's Ridge with sample_weight."""
    from sklearn.linear_model import Ridge
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2)).double()
    x = torch.randn(1, 8, dtype=torch.float64)
    n, width, alpha = 200, 0.4, 1e-3
    attr, (c, b, _) = lime(mlp, x, 1, n_samples=n, kernel_width=width, alpha=alpha,
                           generator=torch.Generator().manual_seed(7), return_surrogate=True)
    Z = (torch.rand(n, 8, generator=torch.Generator().manual_seed(7)) < 0.5).double()
    Z[0] = 1.0
    with torch.no_grad():
        y = mlp(Z * x)[:, 1]                                    # removed features take the baseline 0
    pi = torch.exp(-((1 - Z).pow(2).sum(1) / 8) / width ** 2)
    ref = Ridge(alpha=alpha).fit(Z.numpy(), y.numpy(), sample_weight=pi.numpy())
    np.testing.assert_allclose(c.numpy(), ref.coef_, atol=1e-6)
    assert b == pytest.approx(ref.intercept_, abs=1e-6)
    unweighted = Ridge(alpha=alpha).fit(Z.numpy(), y.numpy())
    assert np.abs(unweighted.coef_ - ref.coef_).max() > 1e-3  # the kernel matters here
