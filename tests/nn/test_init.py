"""Initialisers: torch.nn.init equality under the same generator, statistics, depth behaviour."""
import math

import pytest
import torch
from scipy import stats

from deepnotes.nn import (MLP, calculate_gain, init_weights_, kaiming_normal_, kaiming_uniform_,
                          lecun_normal_, normal_, orthogonal_, positive_bias_, xavier_normal_,
                          xavier_uniform_)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _deep_preacts(depth, width, activation, scheme, gain=1.0, std=0.01, bias=0.0, n=512, seed=0):
    net = MLP(width, [width] * depth, 1, activation=activation)
    init_weights_(net, scheme, gain=gain, std=std, bias=bias, generator=_gen(seed))
    x = torch.randn(n, width, generator=_gen(seed + 1))
    with torch.no_grad():
        _, pre = net(x, return_hidden=True)
    return x, pre


@pytest.mark.syllabus("training.normal_init")
def test_normal_statistics_and_torch_equality():
    sigma = 0.01
    w = normal_(torch.empty(1000, 1000), 0.0, sigma, _gen(0))
    assert abs(w.mean().item()) < 0.01 * sigma
    assert abs(w.std().item() / sigma - 1) < 0.01
    ref = torch.nn.init.normal_(torch.empty(30, 40), 0.0, sigma, generator=_gen(5))
    assert torch.equal(normal_(torch.empty(30, 40), 0.0, sigma, _gen(5)), ref)


@pytest.mark.syllabus("training.normal_init")
def test_tiny_normal_init_collapses_tanh_activations():
    x, pre = _deep_preacts(10, 100, "tanh", "normal", std=1e-2)   # variance 1e-4
    decay = x.std().item() / pre[-1].std().item()
    assert decay > 1e3


@pytest.mark.syllabus("training.xavier_init")
def test_xavier_equals_torch_and_std():
    for ours, ref in [(xavier_normal_, torch.nn.init.xavier_normal_),
                      (xavier_uniform_, torch.nn.init.xavier_uniform_)]:
        a = ours(torch.empty(300, 200), gain=1.3, generator=_gen(2))
        b = ref(torch.empty(300, 200), gain=1.3, generator=_gen(2))
        assert torch.equal(a, b)
    w = xavier_normal_(torch.empty(1000, 500), generator=_gen(0))
    assert abs(w.std().item() / math.sqrt(2 / 1500) - 1) < 0.01
    w = lecun_normal_(torch.empty(1000, 500), generator=_gen(0))
    assert abs(w.std().item() / math.sqrt(1 / 500) - 1) < 0.01


@pytest.mark.syllabus("training.xavier_init")
def test_xavier_keeps_variance_through_50_tanh_and_linear_layers():
    # linear layers: every layer's output variance within a factor 2 of the input variance
    x, pre = _deep_preacts(50, 256, "identity", "xavier", gain=1.0)
    ratios = torch.stack([p.var() for p in pre]) / x.var()
    assert ratios.max() < 2 and ratios.min() > 0.5
    # tanh with Xavier's tanh gain (5/3): layer 1 sees raw x, so Var(z_1) = gain^2 Var(x); from
    # layer 2 on it sees tanh outputs and the variance settles within a factor 2 of the input's
    gain = calculate_gain("tanh")
    x, pre = _deep_preacts(50, 256, "tanh", "xavier", gain=gain)
    assert abs(pre[0].var() / x.var() / gain ** 2 - 1) < 0.1
    ratios = torch.stack([p.var() for p in pre[1:]]) / x.var()
    assert ratios.max() < 2 and ratios.min() > 0.5
    # the failable contrast: tiny normal init loses the variance
    x, pre = _deep_preacts(10, 256, "tanh", "normal", std=0.01)
    assert pre[-1].var() / x.var() < 0.5


@pytest.mark.syllabus("training.he_init")
def test_kaiming_equals_torch_and_std():
    a = kaiming_normal_(torch.empty(400, 300), nonlinearity="relu", generator=_gen(4))
    b = torch.nn.init.kaiming_normal_(torch.empty(400, 300), nonlinearity="relu", generator=_gen(4))
    assert torch.equal(a, b)
    a = kaiming_uniform_(torch.empty(8, 4, 3, 3), a=math.sqrt(5), generator=_gen(4))
    b = torch.nn.init.kaiming_uniform_(torch.empty(8, 4, 3, 3), a=math.sqrt(5), generator=_gen(4))
    assert torch.equal(a, b)
    w = kaiming_normal_(torch.empty(1000, 1000), nonlinearity="relu", generator=_gen(0))
    assert abs(w.std().item() / math.sqrt(2 / 1000) - 1) < 0.01


@pytest.mark.syllabus("training.he_init")
def test_he_keeps_second_moment_through_50_relu_layers():
    # E[z_l^2] is preserved in expectation (over weights and inputs), so average 8 networks;
    # layer 1 sees raw Gaussian x (E[z_1^2] = 2 E[x^2]), every later layer sees ReLU outputs.
    moments, lecun = [], []
    for seed in range(8):
        x, pre = _deep_preacts(50, 128, "relu", "he", n=128, seed=seed)
        moments.append(torch.stack([p.pow(2).mean() for p in pre]))
    m = torch.stack(moments).mean(0)
    assert abs(m[0] / x.pow(2).mean() / 2 - 1) < 0.1
    assert (m / m[0]).max() < 2 and (m / m[0]).min() > 0.5
    x, pre = _deep_preacts(50, 128, "relu", "lecun", n=128)          # Var 1/fan_in: halves per layer
    assert pre[-1].pow(2).mean() / x.pow(2).mean() < 1e-6


@pytest.mark.syllabus("training.orthogonal_init")
@pytest.mark.parametrize("shape", [(64, 64), (100, 40), (30, 90), (16, 4, 3, 3)])
def test_orthogonal_is_orthogonal(shape):
    w = orthogonal_(torch.empty(shape, dtype=torch.float64), generator=_gen(1)).reshape(shape[0], -1)
    r, c = w.shape
    gram = w.T @ w if r >= c else w @ w.T
    torch.testing.assert_close(gram, torch.eye(min(r, c), dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(torch.linalg.svdvals(w), torch.ones(min(r, c), dtype=torch.float64),
                               atol=1e-6, rtol=0)
    w32 = orthogonal_(torch.empty(shape), gain=2.0, generator=_gen(1)).reshape(shape[0], -1)
    torch.testing.assert_close(torch.linalg.svdvals(w32), torch.full((min(r, c),), 2.0), atol=1e-5, rtol=0)


@pytest.mark.syllabus("training.orthogonal_init")
def test_orthogonal_statistics_match_torch():
    ours = torch.cat([orthogonal_(torch.empty(50, 50), generator=_gen(s)).flatten() for s in range(20)])
    ref = torch.cat([torch.nn.init.orthogonal_(torch.empty(50, 50), generator=_gen(100 + s)).flatten()
                     for s in range(20)])
    assert abs(ours.var().item() - 1 / 50) < 0.05 / 50          # Haar entries have variance 1/n
    assert stats.ks_2samp(ours.numpy(), ref.numpy()).pvalue > 0.01
    a = orthogonal_(torch.empty(20, 20), generator=_gen(3))
    b = orthogonal_(torch.empty(20, 20), generator=_gen(3))
    assert torch.equal(a, b)


@pytest.mark.syllabus("training.positive_bias_init")
def test_positive_bias_reduces_dead_relu_units():
    def dead_fraction(bias):
        x = torch.randn(256, 32, generator=_gen(7))
        x = (x - x.mean(0)) / x.std(0)                                # standardised inputs
        fracs = []
        for seed in range(5):                     # torch's default weights (U(+-1/sqrt(fan_in)))
            net = MLP(32, [32] * 10, 1, activation="relu", generator=_gen(seed))
            init_weights_(net, "default", bias=bias)
            with torch.no_grad():
                _, pre = net(x, return_hidden=True)
            dead = torch.cat([(p <= 0).all(0) for p in pre])          # inactive on every example
            fracs.append(dead.float().mean().item())
        return sum(fracs) / len(fracs)
    assert dead_fraction(0.1) < dead_fraction(0.0)
    b = positive_bias_(torch.empty(5))
    assert torch.equal(b, torch.full((5,), 0.1))


def test_init_bad_arguments():
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        calculate_gain("relu6")
    with pytest.raises(ValueError, match="tensor: expected at least 2 dimensions"):
        xavier_normal_(torch.empty(5))
    with pytest.raises(ValueError, match="scheme: expected one of"):
        init_weights_(torch.nn.Linear(2, 2), "glorot")
    with pytest.raises(ValueError, match="mode: expected 'fan_in' or 'fan_out'"):
        kaiming_normal_(torch.empty(3, 3), mode="fan")
