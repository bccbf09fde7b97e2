"""Standardisation: equals sklearn's StandardScaler, train statistics only, conditioning improves."""
import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from deepnotes.data import Standardize, load


@pytest.mark.syllabus("training.input_standardization")
def test_equals_standard_scaler_with_train_stats_only():
    tr, te = load("wine", split="train"), load("wine", split="test")
    sc = StandardScaler().fit(tr.tensors[0].double().numpy())
    st = Standardize().fit(tr.tensors[0].double())
    np.testing.assert_allclose(st(te.tensors[0].double()).numpy(), sc.transform(te.tensors[0].double().numpy()),
                               rtol=1e-10, atol=1e-10)
    z = st(tr.tensors[0].double())
    assert z.mean(0).abs().max() < 1e-10 and (z.std(0, correction=0) - 1).abs().max() < 1e-10
    # the loader's standardize=True uses the train statistics for the test split (not the test's own)
    zt = load("wine", split="test", standardize=True).tensors[0]
    np.testing.assert_allclose(zt.numpy(), sc.transform(te.tensors[0].double().numpy()), rtol=1e-4, atol=1e-4)
    assert zt.mean(0).abs().max() > 1e-3                                       # test's own mean is not zero
    np.testing.assert_allclose(st.inverse(z).numpy(), tr.tensors[0].double().numpy(), atol=1e-9)


@pytest.mark.syllabus("training.input_standardization")
def test_conditioning_and_gradient_descent():
    x = torch.tensor(load_wine().data)
    y = torch.tensor(load_wine().target, dtype=torch.float64)
    z = Standardize().fit(x)(x)

    def with_bias(a):
        return torch.cat([a, torch.ones(len(a), 1, dtype=a.dtype)], 1)

    def cond(a):
        return torch.linalg.cond(with_bias(a).T @ with_bias(a)).item()

    assert cond(x) / cond(z) > 100

    def gd_iterations(a, tol=1e-6, cap=3000):
        a = with_bias(a)
        h = a.T @ a / len(a)
        w_star = torch.linalg.lstsq(a, y[:, None]).solution
        lr = 1 / torch.linalg.eigvalsh(h).max()
        w = torch.zeros_like(w_star)
        best = ((a @ w_star - y[:, None]) ** 2).mean()
        for i in range(cap):
            w = w - lr * a.T @ (a @ w - y[:, None]) / len(a)
            if ((a @ w - y[:, None]) ** 2).mean() - best < tol * best:
                return i + 1
        return cap

    fast, slow = gd_iterations(z), gd_iterations(x)
    assert fast < 300 and slow == 3000


def test_images_mean_pixel_and_errors():
    imgs = torch.rand(20, 3, 5, 5, dtype=torch.float64) * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1).double()
    st = Standardize(dims=(0, 2, 3)).fit(imgs)
    assert st.mean.shape == (1, 3, 1, 1)
    out = st(imgs)
    assert torch.allclose(out.mean((0, 2, 3)), torch.zeros(3, dtype=torch.float64), atol=1e-12)
    with pytest.raises(RuntimeError, match="fit"):
        Standardize()(imgs)
    with pytest.raises(ValueError, match="dims"):
        Standardize(dims=(1,))
    with pytest.raises(ValueError, match="x"):
        st(torch.rand(2, 4, 5, 5))
    fresh = Standardize(dims=(0, 2, 3))
    fresh.load_state_dict(st.state_dict())
    assert torch.equal(fresh(imgs), out)
    const = torch.ones(5, 2)
    assert torch.equal(Standardize().fit(const)(const), torch.zeros(5, 2))      # zero-variance: centred only
