"""The training chapter's library pieces: per-layer gradient norms and the ablation protocol."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from deepnotes.experiments.training import (AblationConfig, _AblationNet, ablation_study,
                                            layer_gradient_norms)
from deepnotes.nn import MLP, init_weights_


def _log_ratios(act, scheme, residual, seeds=5, width=32, depth=20):
    out = []
    for s in range(seeds):
        g = torch.Generator().manual_seed(s)
        net = MLP(width, [width] * depth, 10, activation=act, residual=residual).double()
        init_weights_(net, scheme, std=1.0, generator=g)
        x = torch.randn(256, width, generator=g, dtype=torch.float64)
        t = torch.randn(256, 10, generator=g, dtype=torch.float64)
        n = layer_gradient_norms(net, x, t)
        out.append(math.log10(n[0] / n[-1]))
    return float(np.mean(out))


@pytest.mark.syllabus("training.vanishing_gradients")
def test_layer_gradient_norms_equal_torch_autograd_on_nn_sequential():
    torch.manual_seed(0)
    net = MLP(5, [7, 7, 7], 3, activation="sigmoid").double()
    ref = torch.nn.Sequential(*[m for layer in net.layers for m in
                                (torch.nn.Linear(layer.in_features, layer.out_features), torch.nn.Sigmoid())],
                              torch.nn.Linear(7, 3)).double()
    with torch.no_grad():
        for r, o in zip([m for m in ref if isinstance(m, torch.nn.Linear)], [*net.layers, net.head]):
            r.weight.copy_(o.weight)
            r.bias.copy_(o.bias)
    x, t = torch.randn(9, 5, dtype=torch.float64), torch.randn(9, 3, dtype=torch.float64)
    grads = torch.autograd.grad(F.mse_loss(ref(x), t), [ref[0].weight, ref[2].weight, ref[4].weight])
    torch.testing.assert_close(torch.tensor(layer_gradient_norms(net, x, t), dtype=torch.float64),
                               torch.stack([g.norm() for g in grads]), atol=1e-12, rtol=1e-10)


@pytest.mark.syllabus("training.vanishing_gradients")
def test_gradients_vanish_for_sigmoid_normal_but_not_relu_he_or_residual():
    assert _log_ratios("sigmoid", "normal", False) < -3            # first/last < 1e-3
    assert abs(_log_ratios("relu", "he", False)) < 1               # within [0.1, 10]
    assert abs(_log_ratios("tanh", "lecun", True)) < 1             # residual variant
    assert _log_ratios("sigmoid", "lecun", False) < -3             # same init, no skip: vanishes


@pytest.mark.syllabus("training.ablation_protocol")
def test_ablation_deltas_and_standard_errors():
    effects = {"a": 0.10, "b": 0.02, "noop": 0.0}
    noise = {0: 0.01, 1: -0.02, 2: 0.005, 3: 0.0}

    def train_eval(removed, seed):                     # metric = 0.5 + effects present + seed noise
        return 0.5 + sum(v for k, v in effects.items() if k not in removed) + noise[seed] \
            + (0.003 * seed if "b" in removed else 0.0)

    res = ablation_study(train_eval, list(effects), [0, 1, 2, 3])
    assert res["noop"]["delta"] == 0 and res["noop"]["se"] == 0    # paired by seed: exactly 0
    assert res["a"]["delta"] == pytest.approx(0.10)
    deltas = np.array([0.02 - 0.003 * s for s in range(4)])
    assert res["b"]["delta"] == pytest.approx(deltas.mean())
    assert res["b"]["se"] == pytest.approx(deltas.std(ddof=1) / 2)
    with pytest.raises(ValueError, match="seeds: expected at least one seed"):
        ablation_study(train_eval, ["a"], [])


@pytest.mark.syllabus("training.ablation_protocol")
def test_zero_initialised_unused_branch_is_an_exact_no_op():
    cfg = AblationConfig(hidden=16, blocks=1)
    x, y = torch.randn(64, 40), torch.randint(0, 10, (64,))
    outs = []
    for removed in (frozenset(), frozenset({"noop_branch"})):
        model = _AblationNet(cfg, removed, seed=3)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(5):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        outs.append(model.eval()(x))
    assert torch.equal(outs[0], outs[1])
