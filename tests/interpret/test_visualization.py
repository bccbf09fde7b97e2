import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn

from deepnotes.interpret import (activation_maximization, collect_activations, filter_grid,
                                 generator_constrained_am, max_activating_patches, pca_project)


@pytest.mark.syllabus("interpretability.first_layer_filters")
def test_filter_grid_shape_range_and_gradient_filter():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, 4)
    grid = filter_grid(conv.weight)
    assert grid.shape == (5, 4, 4, 3) and grid.min() >= 0 and grid.max() <= 1
    for f in grid:
        assert f.min() == 0 and f.max() == 1
    w = torch.tensor([[-1.0, 0.0, 1.0]] * 3).view(1, 1, 3, 3)
    img = filter_grid(w)[0, :, :, 0]
    torch.testing.assert_close(img, torch.tensor([[0.0, 0.5, 1.0]] * 3))   # dark -> bright left to right
    with pytest.raises(ValueError, match="weight"):
        filter_grid(torch.randn(3, 3))


@pytest.mark.syllabus("interpretability.max_activating_patches")
def test_max_activating_patches_are_top_and_match_receptive_field():
    torch.manual_seed(0)
    # two 3x3 convs (stride 1, padding 1) then a 2x2 max-pool: receptive field r = 1 + 2 + 2 + 1 = 6,
    # jump 2, and padding 2 (the convs) -> unit (i, j) sees rows 2i - 2 .. 2i + 3
    feat = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2))
    imgs = torch.rand(20, 1, 12, 12)
    from deepnotes.nn import receptive_field                    # cnn.receptive_field arithmetic
    assert receptive_field([(3, 1), (3, 1), (2, 2)]) == (6, 2)
    top = max_activating_patches(feat, imgs, channel=2, k=5, rf_size=6, rf_stride=2, rf_padding=2)
    with torch.no_grad():
        acts = feat(imgs)[:, 2]
    assert torch.all(top.activations[:-1] >= top.activations[1:])
    assert top.activations[-1] >= torch.sort(acts.reshape(-1), descending=True).values[5]
    for a, (n, i, j) in zip(top.activations, top.positions.tolist()):
        assert acts[n, i, j] == a
    # the crop really is the receptive field: changing pixels outside it leaves the unit unchanged
    n, i, j = top.positions[0].tolist()
    t, l, b, r = top.boxes[0].tolist()
    assert (t, l) == (max(0, 2 * i - 2), max(0, 2 * j - 2)) and (b, r) == (min(12, 2 * i + 4), min(12, 2 * j + 4))
    x = imgs[n:n + 1].clone()
    outside = torch.ones_like(x, dtype=torch.bool)
    outside[..., t:b, l:r] = False
    x[outside] = torch.rand(int(outside.sum()))
    with torch.no_grad():
        assert torch.allclose(feat(x)[0, 2, i, j], acts[n, i, j])
    assert top.patches[0].shape == (1, b - t, r - l)
    with pytest.raises(ValueError, match="channel"):
        max_activating_patches(feat, imgs, channel=9)


@pytest.mark.syllabus("interpretability.activation_maximization")
def test_activation_maximization_linear_unit_converges_to_closed_form():
    torch.manual_seed(0)
    w = torch.randn(1, 16, dtype=torch.float64)
    lam = 0.5
    x, hist = activation_maximization(lambda x: (x * w).sum(1), torch.zeros(1, 16, dtype=torch.float64),
                                      steps=300, lr=0.2, l2=lam)
    torch.testing.assert_close(x, w / (2 * lam), atol=1e-4, rtol=0)
    assert hist[-1] > hist[0]
    # the L1 prior (proximal step) leaves exact zeros
    w2 = torch.randn(1, 1, 8, 8, dtype=torch.float64)
    obj = lambda x: (x * w2).sum((1, 2, 3))
    plain, _ = activation_maximization(obj, torch.zeros_like(w2), steps=100, lr=0.1, l2=0.5)
    sparse, _ = activation_maximization(obj, torch.zeros_like(w2), steps=100, lr=0.1, l2=0.5, l1=0.8)
    assert (sparse == 0).sum() > (plain == 0).sum()
    # blur, thresholding and jitter run and keep the shape
    img, h = activation_maximization(obj, torch.zeros_like(w2), steps=10, lr=0.1, l2=0.1, blur_every=2,
                                     small_threshold=0.01, jitter=1, generator=torch.Generator().manual_seed(0))
    assert img.shape == w2.shape and len(h) == 10
    with pytest.raises(ValueError, match="l1"):
        activation_maximization(obj, w2, l1=-1.0)


@pytest.mark.syllabus("interpretability.generator_constrained_am")
def test_generator_constrained_am_monotone_and_in_range():
    torch.manual_seed(0)
    A = torch.linalg.qr(torch.randn(20, 4, dtype=torch.float64)).Q          # decoder G(z) = A z (orthonormal)
    decoder = lambda z: z @ A.t()
    encoder = lambda x: x @ A                                                # exact left inverse
    clf = nn.Sequential(nn.Linear(20, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    z, x, hist = generator_constrained_am(decoder, lambda x: clf(x)[:, 1], torch.zeros(2, 4, dtype=torch.float64),
                                          steps=50, lr=0.05, l2=0.01)
    assert all(b >= a - 1e-12 for a, b in zip(hist, hist[1:]))             # small steps: monotone
    assert hist[-1] > hist[0]
    torch.testing.assert_close(decoder(encoder(x)), x)                        # X* lies in G's range
    torch.testing.assert_close(x, decoder(z))
    # closed form: a linear class score w^T G(z) = (A^T w)^T z with the prior l2 ||z||^2 peaks at A^T w / (2 l2)
    w = torch.randn(20, dtype=torch.float64)
    z, x, _ = generator_constrained_am(decoder, lambda x: x @ w, torch.zeros(1, 4, dtype=torch.float64),
                                       steps=200, lr=0.2, l2=0.5)
    torch.testing.assert_close(z[0], A.t() @ w / (2 * 0.5), atol=1e-8, rtol=0)


@pytest.mark.syllabus("interpretability.hidden_representation_viz")
def test_collect_activations_and_pca_against_sklearn():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 12), nn.ReLU(), nn.Linear(12, 6), nn.Tanh(), nn.Linear(6, 3))
    x = torch.randn(40, 10)
    acts = collect_activations(net, x, ["1", "3"])
    torch.testing.assert_close(acts["1"], torch.relu(net[0](x)))
    torch.testing.assert_close(acts["3"], torch.tanh(net[2](net[1](net[0](x)))))
    assert not net[0]._forward_hooks
    proj, ratio = pca_project(acts["1"].double(), 2)
    sk = PCA(2, svd_solver="full").fit(acts["1"].double().numpy())
    ref = torch.from_numpy(sk.transform(acts["1"].double().numpy()))
    signs = torch.sign((proj * ref).sum(0))                                 # components are defined up to sign
    torch.testing.assert_close(proj * signs, ref, atol=1e-8, rtol=0)
    torch.testing.assert_close(ratio, torch.from_numpy(sk.explained_variance_ratio_))
    with pytest.raises(ValueError, match="layers"):
        collect_activations(net, x, ["nope"])
