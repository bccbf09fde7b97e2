"""Empirical risk: every loss in deepnotes.losses reduces consistently (mean == sum/N == mean(none))."""
import inspect

import pytest
import torch

import deepnotes.losses as L


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

g = torch.Generator().manual_seed(0)
X = torch.randn(8, 5, generator=g, dtype=torch.float64)
Y = torch.randn(8, 5, generator=g, dtype=torch.float64)
P = torch.softmax(torch.randn(8, 5, generator=g, dtype=torch.float64), 1)
Q = torch.softmax(torch.randn(8, 5, generator=g, dtype=torch.float64), 1)
IDX = torch.randint(0, 5, (8,), generator=g)
B = torch.randint(0, 2, (8, 5), generator=g).double()
PM1 = torch.randint(0, 2, (8,), generator=g) * 2 - 1

# How to call each loss; a loss missing here is tried with generic arguments below.
CASES = {
    "mse_loss": (X, Y), "l1_loss": (X, Y), "mae_loss": (X, Y), "huber_loss": (X, 2 * Y),
    "cross_entropy": (X, IDX), "nll_loss": (torch.log(P), IDX),
    "gaussian_nll_loss": (X, Y, torch.rand(8, 5, generator=g, dtype=torch.float64) + 0.1),
    "binary_cross_entropy_with_logits": (X, B), "binary_cross_entropy": (P, B),
    "hinge_loss": (X[:, 0], PM1), "kl_div": (torch.log(Q), P), "kl_divergence": (Q, P),
    "entropy": (P,), "zero_one_loss": (IDX, torch.randint(0, 5, (8,), generator=g)),
}
GENERIC = [(X, Y), (X, IDX), (Q, P), (P,)]


def losses_with_reduction():
    for name in L.__all__:
        obj = getattr(L, name)
        if callable(obj) and not inspect.isclass(obj) and "reduction" in inspect.signature(obj).parameters:
            yield name


@pytest.mark.syllabus("foundations.empirical_risk")
@pytest.mark.parametrize("name", sorted(set(losses_with_reduction())))
def test_mean_is_sum_over_n_is_mean_of_none(name):
    fn = getattr(L, name)
    candidates = [CASES[name]] if name in CASES else GENERIC
    for args in candidates:
        try:
            none = fn(*args, reduction="none")
            break
        except (TypeError, ValueError, RuntimeError, IndexError):
            continue
    else:
        pytest.fail(f"{name}: add a call case to CASES (generic arguments were rejected)")
    mean, total = fn(*args, reduction="mean"), fn(*args, reduction="sum")
    assert none.numel() > 1
    torch.testing.assert_close(mean, total / none.numel(), rtol=1e-7, atol=1e-12)
    torch.testing.assert_close(mean, none.mean(), rtol=1e-7, atol=1e-12)
    torch.testing.assert_close(total, none.sum(), rtol=1e-7, atol=1e-12)
    with pytest.raises(ValueError, match="reduction"):
        fn(*args, reduction="average")


@pytest.mark.syllabus("foundations.empirical_risk")
def test_empirical_risk_is_the_average_per_example_loss():
    lin = torch.nn.Linear(5, 1).double()
    x, y = X, Y[:, :1]
    J = L.empirical_risk(L.mse_loss, lin, x, y)
    torch.testing.assert_close(J, torch.nn.functional.mse_loss(lin(x), y))
    J.backward()                                     # it is a training objective
    assert lin.weight.grad is not None
    with pytest.raises(ValueError, match="targets"):
        L.empirical_risk(L.mse_loss, lin, x, y[:3])
