"""Ensembles against sklearn's VotingClassifier and torch's swa_utils; bagging and Jensen checks."""
import copy
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from deepnotes.nn import (MLP, AveragedModel, BatchNorm1d, Linear, MultiHeadEnsemble,
                          SnapshotEnsemble, VotingEnsemble, bagging_indices, bootstrap_indices,
                          hard_vote, snapshot_lr, soft_vote, update_bn)


def _sk_members():
    return [("lr", LogisticRegression(max_iter=200)), ("nb", GaussianNB()),
            ("t1", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("t2", DecisionTreeClassifier(max_depth=2, random_state=1))]


@pytest.mark.syllabus("training.ensemble_averaging")
@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_votes_equal_sklearn_voting_classifier(voting):
    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16.0, y[:600]
    vc = VotingClassifier(_sk_members(), voting=voting).fit(X, y)
    probs = torch.tensor(np.stack([m.predict_proba(X) for m in vc.estimators_]))   # (M, N, C)
    if voting == "soft":
        torch.testing.assert_close(soft_vote(probs), torch.tensor(vc.predict_proba(X)), atol=1e-12, rtol=0)
        assert np.array_equal(soft_vote(probs).argmax(1).numpy(), vc.predict(X))
    else:
        preds = torch.tensor(np.stack([m.predict(X) for m in vc.estimators_]))        # (M, N)
        ours = hard_vote(preds, 10).numpy()
        assert np.array_equal(ours, vc.predict(X))
        assert (preds.T.unique(dim=0).shape[0] > 1)


@pytest.mark.syllabus("training.ensemble_averaging")
def test_voting_ensemble_nll_below_mean_member_nll():
    torch.manual_seed(0)
    members = [MLP(6, [16], 4, activation="tanh") for _ in range(5)]
    ens = VotingEnsemble(members)
    x, t = torch.randn(200, 6), torch.randint(0, 4, (200,))
    with torch.no_grad():
        p = ens.member_probs(x)                                         # (M, N, C)
        member_nll = torch.stack([torch.nn.functional.nll_loss(pm.log(), t) for pm in p])
        ens_nll = torch.nn.functional.nll_loss(ens(x).log(), t)
        torch.testing.assert_close(ens(x), torch.stack([m(x).softmax(-1) for m in members]).mean(0))
    assert ens_nll <= member_nll.mean() + 1e-7
    assert ens_nll < member_nll.mean()                                  # members differ: strict
    hard = VotingEnsemble(members, voting="hard").predict(x)
    assert torch.equal(hard, hard_vote(p.argmax(-1), 4))


@pytest.mark.syllabus("training.bagging")
def test_bootstrap_unique_fraction():
    g = torch.Generator().manual_seed(0)
    n = 10_000
    fracs = [bootstrap_indices(n, g).unique().numel() / n for _ in range(5)]
    for f in fracs:
        assert abs(f - (1 - 1 / math.e)) < 0.01
    idx = bagging_indices(50, 7, g)
    assert idx.shape == (7, 50) and idx.min() >= 0 and idx.max() < 50


@pytest.mark.syllabus("training.bagging")
def test_bagging_lowers_the_variance_of_an_unstable_fit():
    # The bias-variance harness (y = sin(2 pi x) + N(0, 0.3^2), many resampled training sets) with
    # fully grown regression trees, the unstable learner bagging is for. (Least-squares degree-9
    # polynomials are a linear smoother: bagging does not lower their variance, and bags with
    # fewer than 10 distinct x are rank-deficient; see the final report.)
    from sklearn.tree import DecisionTreeRegressor
    rng = np.random.default_rng(0)
    grid = np.linspace(0, 1, 50)[:, None]
    g = torch.Generator().manual_seed(1)
    single, bagged = [], []
    for _ in range(30):                                                 # 30 training sets
        x = rng.uniform(0, 1, (40, 1))
        y = np.sin(2 * np.pi * x[:, 0]) + rng.normal(0, 0.3, 40)
        single.append(DecisionTreeRegressor(random_state=0).fit(x, y).predict(grid))
        fits = [DecisionTreeRegressor(random_state=0).fit(x[i], y[i]).predict(grid)
                for i in bagging_indices(40, 20, g).numpy()]
        bagged.append(np.mean(fits, 0))
    var_single = np.var(np.stack(single), axis=0).mean()
    var_bagged = np.var(np.stack(bagged), axis=0).mean()
    assert var_bagged < 0.8 * var_single


@pytest.mark.syllabus("training.multihead_ensemble")
def test_multihead_param_count_and_mean():
    torch.manual_seed(0)
    trunk = torch.nn.Sequential(Linear(8, 16), torch.nn.ReLU())
    heads = [Linear(16, 3) for _ in range(4)]
    model = MultiHeadEnsemble(trunk, heads)
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(model) == count(trunk) + 4 * count(heads[0])
    x = torch.randn(10, 8)
    h = trunk(x)
    ref = sum(head(h) for head in heads) / 4
    torch.testing.assert_close(model(x), ref, atol=1e-7, rtol=0)


@pytest.mark.syllabus("training.snapshot_ensemble")
def test_snapshots_are_deep_copies_and_average():
    torch.manual_seed(0)
    model = MLP(5, [8], 3)
    ens = SnapshotEnsemble()
    x = torch.randn(12, 5)
    outs, opt = [], torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        ens.snapshot(model)
        with torch.no_grad():
            outs.append(model(x).softmax(-1))
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()                                                      # later updates
    with torch.no_grad():
        for snap, out in zip(ens.snapshots, outs):
            torch.testing.assert_close(snap(x).softmax(-1), out, atol=0, rtol=0)
        torch.testing.assert_close(ens(x), torch.stack(outs).mean(0), atol=1e-7, rtol=0)
    assert not torch.equal(ens.snapshots[0].head.weight, model.head.weight)
    lrs = [snapshot_lr(t, 100, 4, 0.1) for t in range(100)]
    assert lrs[0] == 0.1 and lrs[24] < 0.001 and lrs[25] == 0.1


@pytest.mark.syllabus("training.weight_averaging")
def test_averaged_model_equals_torch_swa():
    torch.manual_seed(0)
    model = torch.nn.Sequential(Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), Linear(6, 2))
    ours, ref = AveragedModel(model), torch.optim.swa_utils.AveragedModel(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        loss = model(torch.randn(16, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ours.update_parameters(model)
        ref.update_parameters(model)
    for (n, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-7, rtol=0, msg=n)
    assert set(ours.state_dict()) == set(ref.state_dict())
    loader = [(torch.randn(16, 4), torch.zeros(16)) for _ in range(4)]
    update_bn(loader, ours)
    torch.optim.swa_utils.update_bn(loader, ref)
    torch.testing.assert_close(ours.module[1].running_mean, ref.module[1].running_mean, atol=1e-6, rtol=0)
    torch.testing.assert_close(ours.module[1].running_var, ref.module[1].running_var, atol=1e-6, rtol=0)
    assert ours.module[1].momentum == 0.1
    mean = torch.cat([x for x, _ in loader]) @ ours.module[0].weight.T + ours.module[0].bias
    torch.testing.assert_close(ours.module[1].running_mean, mean.mean(0), atol=1e-5, rtol=0)
    own = torch.nn.Sequential(Linear(4, 6), BatchNorm1d(6))                # our BatchNorm too
    own[0].load_state_dict(ours.module[0].state_dict())
    update_bn(loader, own)
    torch.testing.assert_close(own[1].running_var, ref.module[1].running_var, atol=1e-5, rtol=0)


def test_ensemble_bad_input():
    with pytest.raises(ValueError, match="preds: expected labels in"):
        hard_vote(torch.tensor([[0, 5]]), 3)
    with pytest.raises(ValueError, match="voting: expected 'soft' or 'hard'"):
        VotingEnsemble([Linear(2, 2)], voting="mean")
    with pytest.raises(ValueError, match="probs: expected M tensors"):
        soft_vote(torch.rand(3, 4))
