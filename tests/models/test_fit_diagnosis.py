import math

import pytest
import torch

from deepnotes.models import LinearRegression, diagnose_fit, polynomial_features


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

SIGMA = 0.3


def sine(n, g):
    x = torch.rand(n, generator=g, dtype=torch.float64)
    return x, torch.sin(2 * math.pi * x) + SIGMA * torch.randn(n, generator=g, dtype=torch.float64)


@pytest.mark.syllabus("foundations.fit_diagnosis")
def test_polynomial_degrees_are_labelled_bias_ok_overfit():
    g = torch.Generator().manual_seed(0)
    (xtr, ytr), (xva, yva) = sine(20, g), sine(200, g)
    labels = {}
    for degree in (0, 3, 15):
        m = LinearRegression(max(degree, 1), dtype=torch.float64)
        feats = (lambda x: polynomial_features(2 * x - 1, degree)) if degree else (lambda x: torch.zeros(len(x), 1, dtype=torch.float64))
        m.fit_closed_form(feats(xtr), ytr)
        tr = ((m(feats(xtr)).squeeze(1) - ytr) ** 2).mean().item()
        va = ((m(feats(xva)).squeeze(1) - yva) ** 2).mean().item()
        labels[degree] = diagnose_fit(tr, va, acceptable_loss=2 * SIGMA ** 2)
    assert labels == {0: "bias", 3: "ok", 15: "overfit"}


@pytest.mark.syllabus("foundations.fit_diagnosis")
def test_under_trained_deep_net_is_optimisation():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x, y = sine(100, g)
    shallow = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    deep = torch.nn.Sequential(*[m for _ in range(8) for m in (torch.nn.Linear(1 if _ == 0 else 16, 16), torch.nn.Sigmoid())],
                               torch.nn.Linear(16, 1)).double()

    def train(net, steps):
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        for _ in range(steps):
            opt.zero_grad()
            loss = ((net(x[:, None]).squeeze(1) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return loss.item()

    shallow_loss, deep_loss = train(shallow, 300), train(deep, 30)
    assert deep_loss > shallow_loss
    assert diagnose_fit(deep_loss, deep_loss, 2 * SIGMA ** 2, baseline_train_loss=shallow_loss) == "optimisation"
    assert diagnose_fit(deep_loss, deep_loss, 2 * SIGMA ** 2) == "bias"
    with pytest.raises(ValueError, match="acceptable_loss"):
        diagnose_fit(1.0, 1.0, 0.0)
