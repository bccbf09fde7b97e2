import pytest
import torch

from deepnotes.models import CascadedLogistic, LogisticRegression, xor_data, xor_distance_features


@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def best_linear_accuracy(x, y):
    grid = torch.linspace(-3, 3, 25, dtype=torch.float64)
    wb = torch.cartesian_prod(grid, grid, grid)                      # (G, 3) every (w1, w2, b)
    pred = (x @ wb[:, :2].T + wb[:, 2] >= 0).long()                  # (4, G)
    return (pred == y[:, None]).double().mean(0).max().item()


@pytest.mark.syllabus("foundations.xor_feature_transform")
def test_raw_xor_at_most_75_transform_and_cascade_100():
    x, y = xor_data()
    assert best_linear_accuracy(x, y) == 0.75
    lr = LogisticRegression(2, dtype=torch.float64)
    lr.fit(x, y, lr=1.0, steps=100)
    assert (lr.predict(x) == y).double().mean() <= 0.75
    phi = xor_distance_features(x)
    torch.testing.assert_close(phi[:, 0], torch.tensor([0.0, 1.0, 1.0, 2 ** 0.5], dtype=torch.float64))
    lr2 = LogisticRegression(2, dtype=torch.float64)
    lr2.fit(phi, y, lr=2.0, steps=300)
    assert (lr2.predict(phi) == y).all()
    torch.manual_seed(0)
    cascade = CascadedLogistic(dtype=torch.float64)
    cascade.fit(x, y, lr=0.1, steps=500)
    assert ((cascade(x) > 0).long() == y).all()
    with pytest.raises(ValueError, match="x"):
        xor_distance_features(torch.zeros(4, 3))
