"""Shared digits models for the robustness tests (trained once per session, one thread)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.data.digits import load_digits


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 16, 32), nn.ReLU(), nn.Linear(32, 10))


def train(model: nn.Module, x, y, steps: int = 300, lr: float = 1e-2, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval().requires_grad_(False)


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return float((model(x).argmax(-1) == y).float().mean())


@pytest.fixture(scope="session")
def digits():
    x, y = load_digits("train").tensors
    xt, yt = load_digits("test").tensors
    return x, y, xt, yt


@pytest.fixture(scope="session")
def digits_mlp(digits):
    x, y, _, _ = digits
    torch.manual_seed(0)
    return train(mlp(), x, y, steps=200)


@pytest.fixture(scope="session")
def digits_cnn(digits):
    x, y, _, _ = digits
    torch.manual_seed(1)
    return train(cnn(), x, y, steps=120, lr=2e-2, seed=1)


@pytest.fixture(scope="session")
def digits_logreg(digits):
    x, y, _, _ = digits
    torch.manual_seed(2)
    return train(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), x, y, steps=300, lr=5e-2, seed=2)
