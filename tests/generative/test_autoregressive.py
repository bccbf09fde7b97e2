import itertools

import pytest
import torch
import torch.nn.functional as F
from scipy.stats import chisquare

from deepnotes.generative import (AutoregressiveDensity, ImageTransformer, MaskedConv2d, PixelCNN, PixelRNN, WaveNet,
                                  local_causal_mask, mu_law_decode, mu_law_encode, wavenet_receptive_field)

H = W = 5


def dependence(f, x):
    """dep[i, j] = |d out_i / d in_j| summed over output classes, by autograd; x (1, 1, H, W) float."""
    jac = torch.autograd.functional.jacobian(lambda v: f(v).sum(1).flatten(), x)   # (N, 1, 1, H, W)
    return jac.reshape(x.numel(), x.numel()).abs()


def perturbation_dependence(f, x):
    """dep[i, j] = 1 if flipping input pixel j changes the output distribution at pixel i."""
    base = f(x).flatten(2)[0]                                                # (K, N)
    n = x.numel()
    dep = torch.zeros(n, n)
    for j in range(n):
        x2 = x.clone().view(-1)
        x2[j] = 1 - x2[j]
        dep[:, j] = (f(x2.view_as(x)).flatten(2)[0] - base).abs().sum(0) > 0
    return dep


@pytest.mark.syllabus("generative.masked_conv")
def test_masks_and_causality():
    a, b = MaskedConv2d(1, 1, 3, "A"), MaskedConv2d(1, 1, 3, "B")
    assert a.mask.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert b.mask.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 0]]
    x = torch.rand(2, 1, H, W)
    torch.testing.assert_close(b(x), F.conv2d(x, b.weight * b.mask, b.bias, padding=1))
    ref = torch.nn.Conv2d(1, 1, 3, padding=1)
    ref.load_state_dict({k: v for k, v in b.state_dict().items() if k != "mask"})
    dep_a = dependence(a, torch.rand(1, 1, H, W))
    dep_b = dependence(b, torch.rand(1, 1, H, W))
    i, j = torch.meshgrid(torch.arange(H * W), torch.arange(H * W), indexing="ij")
    assert dep_a[j >= i].abs().max() == 0                                  # strictly before
    assert dep_b[j > i].abs().max() == 0 and dep_b.diagonal().min() > 0    # B keeps the centre
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2d(1, 1, 3, "C")


@pytest.mark.syllabus("generative.pixelcnn")
def test_pixelcnn_stack_is_causal():
    torch.manual_seed(0)
    model = PixelCNN(hidden=16, num_layers=3, kernel_size=5)
    dep = dependence(model, torch.rand(1, 1, H, W))
    i, j = torch.meshgrid(torch.arange(H * W), torch.arange(H * W), indexing="ij")
    assert dep[j >= i].max() == 0
    assert dep[(i == j + 1) & (i % W != 0)].min() > 0                       # sees its left neighbour
    x = (torch.rand(3, 1, H, W) > 0.5).float()
    torch.testing.assert_close(model.nll(x), F.cross_entropy(model(x), x[:, 0].long(), reduction="none").sum((1, 2)))
    assert model.sample(2, 3, 3, generator=torch.Generator().manual_seed(0)).shape == (2, 1, 3, 3)


@pytest.mark.syllabus("generative.pixelrnn")
def test_pixelrnn_causal_and_samples_in_raster_order():
    torch.manual_seed(0)
    model = PixelRNN(hidden=16)
    x = (torch.rand(1, 1, H, W) > 0.5).float()
    dep = perturbation_dependence(model, x)
    i, j = torch.meshgrid(torch.arange(H * W), torch.arange(H * W), indexing="ij")
    assert dep[j >= i].max() == 0 and dep[j < i].min() == 1
    seen = []

    def check(step, canvas):
        filled = canvas[0] >= 0
        assert filled[: step + 1].all() and not filled[step + 1:].any()
        seen.append(step)
    s = model.sample(2, 3, 4, generator=torch.Generator().manual_seed(0), callback=check)
    assert seen == list(range(12)) and set(s.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.syllabus("generative.image_transformer")
@pytest.mark.parametrize("kind,window", [("1d", 6), ("2d", 1)])
def test_image_transformer_attention_respects_local_causal_mask(kind, window):
    torch.manual_seed(0)
    model = ImageTransformer(H, W, dim=16, heads=2, num_layers=2, window=window, kind=kind)
    x = (torch.rand(2, 1, H, W) > 0.5).float()
    _, atts = model(x, return_attention=True)
    idx = torch.arange(H * W)
    r, c = idx // W, idx % W
    allowed = idx[None] <= idx[:, None]
    if kind == "1d":
        allowed &= (idx[:, None] - idx[None]) < window
    else:
        allowed &= ((r[:, None] - r[None]).abs() <= window) & ((c[:, None] - c[None]).abs() <= window)
    assert torch.equal(local_causal_mask(H, W, window, kind), allowed)
    for att in atts:
        assert att[..., ~allowed].abs().max() == 0
        torch.testing.assert_close(att.sum(-1), torch.ones(att.shape[:-1]))
    dep = perturbation_dependence(model, x[:1])
    i, j = torch.meshgrid(idx, idx, indexing="ij")
    assert dep[j >= i].max() == 0


@pytest.mark.syllabus("generative.wavenet")
def test_wavenet_receptive_field_and_causality():
    assert wavenet_receptive_field(2, [2 ** i for i in range(10)]) == 1024
    torch.manual_seed(0)
    model = WaveNet(quantization=8, channels=4, skip_channels=4, layers_per_block=10).double()
    assert model.receptive_field == 1024
    with torch.no_grad():                                                    # keep the output ReLUs active
        for s in model.skip:
            s.bias.fill_(1.0)
        model.out[1].bias.fill_(5.0)
    T, t = 1100, 1090
    x = F.one_hot(torch.randint(8, (1, T)), 8).transpose(1, 2).double().requires_grad_()
    model(x)[0, :, t].sum().backward()
    reach = x.grad[0].abs().sum(0) > 0                                       # (T,)
    assert not reach[t + 1:].any() and not reach[: t - 1023].any()
    assert reach[t - 1023] and reach[t]
    q = mu_law_encode(torch.linspace(-1, 1, 101))
    assert q.min() == 0 and q.max() == 255
    assert (mu_law_decode(q) - torch.linspace(-1, 1, 101)).abs().max() < 0.03


@pytest.mark.syllabus("generative.autoregressive_density")
def test_probabilities_sum_to_one_and_samples_follow_model():
    torch.manual_seed(0)
    model = AutoregressiveDensity(dim=3, bins=4, hidden=8)
    with torch.no_grad():
        for p in model.head.parameters():
            p.mul_(4)                                                        # a non-uniform model
    configs = torch.tensor(list(itertools.product(range(4), repeat=3)))      # (64, 3)
    with torch.no_grad():
        probs = model.log_prob(configs).double().exp()
    assert abs(probs.sum().item() - 1) < 1e-6
    n = 20000
    s = model.sample(n, generator=torch.Generator().manual_seed(1))
    counts = torch.bincount(s[:, 0] * 16 + s[:, 1] * 4 + s[:, 2], minlength=64).double()
    exp = probs / probs.sum() * n
    keep = exp > 5
    obs, e = counts[keep], exp[keep]
    e = e / e.sum() * obs.sum()
    assert chisquare(obs.numpy(), e.numpy()).pvalue > 1e-3
    with pytest.raises(ValueError, match="context"):
        AutoregressiveDensity(3, 4, context_features=2)(configs[:2])
