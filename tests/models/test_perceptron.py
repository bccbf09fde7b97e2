import pytest
import torch
from sklearn.datasets import load_iris

from deepnotes.models import Perceptron, xor_data


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.syllabus("foundations.perceptron")
def test_converges_on_separable_iris_pair():
    X, y = load_iris(return_X_y=True)
    keep = y < 2                                     # setosa vs versicolor: linearly separable
    x, t = torch.tensor(X[keep]), torch.tensor(y[keep])
    p = Perceptron(4, dtype=torch.float64)
    mistakes = p.fit(x, t, max_epochs=100)
    assert p.converged_ and mistakes[-1] == 0
    assert (p.predict(x) == t).all()


@pytest.mark.syllabus("foundations.perceptron")
def test_never_beats_75_percent_on_xor():
    x, y = xor_data()
    p = Perceptron(2, dtype=torch.float64)
    mistakes = p.fit(x, y, max_epochs=50)
    assert not p.converged_ and min(mistakes) > 0
    # no line does better: exhaustive check over a grid of (w, b)
    grid = torch.linspace(-2, 2, 21, dtype=torch.float64)
    wb = torch.cartesian_prod(grid, grid, grid)                      # (G, 3) every (w1, w2, b)
    best = ((x @ wb[:, :2].T + wb[:, 2] > 0).long() == y[:, None]).double().mean(0).max().item()
    assert best == 0.75
    with pytest.raises(ValueError, match="y"):
        p.fit(x, y * 2)
