"""MNIST-1D: ten 12-point digit templates turned into 40-point signals (Greydanus 2020).

Syllabus: training.image_classification_data (with :mod:`deepnotes.data.digits`).
Notes: 001 S1.01-S1.02, 002 §5.1h, 003 L13.01 name MNIST; this is its offline 1-D stand-in.

Each example starts from its class template x (12 points, whitened, starting at 0) and goes
through the paper's pipeline, with its default arguments:

    pad       append p ~ U{36..60} zeros                 (then resample to 12 + 60 = 72 points)
    scale     x <- x (1 + 0.4 (u - 1/2)),  u ~ U(0, 1)
    translate roll right by k ~ U{0..47}
    noise     where x == 0: x <- gaussian_filter(0.25 n, sigma=2);  everywhere: x += 0.02 n'
    shear     x <- x - 0.75 (u' - 1/2) linspace(-1/2, 1/2, 72)
    resample  linear interpolation to 40 points

5,000 examples (500 per class) are shuffled, standardised with the whole set's mean and std
(as the paper's code does), and cut 4,000 train / 1,000 test. With the default seed 42 the
random draws are the paper's: NumPy's legacy ``RandomState(42)`` stream, consumed in the same
order, so the arrays equal the ``mnist1d`` package's ``make_dataset()`` (tests/data/test_mnist1d.py).
The validation split is carved from the 4,000 training examples, stratified and seeded.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ..core import expect, syllabus
from .registry import register_dataset
from .splits import stratified_split

__all__ = ["mnist1d_templates", "make_mnist1d", "load_mnist1d", "MNIST1D_SPLITS"]

MNIST1D_SPLITS = ("train", "val", "test", "trainval")

# The paper's ten templates (12 points each), before whitening.
_RAW_TEMPLATES = np.asarray([
    [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
    [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
    [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
    [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
    [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
    [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
    [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
    [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
    [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
    [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
])


def mnist1d_templates() -> np.ndarray:
    """The ten templates (10, 12): whitened per row, shifted to start at 0, divided by 6."""
    x = _RAW_TEMPLATES.copy()
    x -= x.mean(1, keepdims=True)
    x /= x.std(1, keepdims=True)
    x -= x[:, :1]
    return x / 6.0


def _resample(x: np.ndarray, n: int) -> np.ndarray:
    """Linear interpolation of ``x`` onto ``n`` evenly spaced points over the same span."""
    return np.interp(np.linspace(0, 1, n), np.linspace(0, 1, len(x)), x)


def _gaussian_smooth(x: np.ndarray, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """1-D Gaussian filter with mirror ('reflect', edge repeated) boundaries, radius truncate*sigma."""
    r = int(truncate * sigma + 0.5)
    t = np.arange(-r, r + 1)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(x, r, mode="symmetric")
    return np.convolve(padded, k, mode="valid")


def _transform(x: np.ndarray, rng: np.random.RandomState, *, padding=(36, 60), template_len=12,
               scale_coeff=0.4, max_translation=48, corr_noise_scale=0.25, iid_noise_scale=2e-2,
               shear_scale=0.75, final_seq_length=40) -> np.ndarray:
    lo, hi = padding
    p = lo + int(rng.rand() * (hi - lo + 1))
    x = np.concatenate([x + 1e-8, np.zeros(p)])                   # (12 + p,)
    x = _resample(x, template_len + hi)                            # (72,)
    x = x * (1 + scale_coeff * (rng.rand() - 0.5))
    k = rng.choice(max_translation)
    x = np.concatenate([x[-k:], x[:-k]]) if k else x               # roll right by k
    mask = x != 0
    corr = _gaussian_smooth(corr_noise_scale * rng.randn(len(x)), 2.0)
    x = mask * x + (1 - mask) * corr
    x = x + iid_noise_scale * rng.randn(len(x))
    x = x - shear_scale * (rng.rand() - 0.5) * np.linspace(-0.5, 0.5, len(x))
    return _resample(x, final_seq_length)                          # (40,)


@functools.lru_cache(maxsize=4)
def make_mnist1d(num_samples: int = 5000, train_split: float = 0.8, seed: int = 42
                 ) -> dict[str, np.ndarray]:
    """Generate the dataset: {'x': (4000, 40), 'y': (4000,), 'x_test': (1000, 40), 'y_test': (1000,)}.

    ``num_samples`` is rounded down to a multiple of 10 (equal classes). Arrays are read-only
    (the result is cached).
    """
    expect(isinstance(num_samples, int) and num_samples >= 10, "num_samples", "an int >= 10", num_samples)
    expect(0 < train_split < 1, "train_split", "a float in (0, 1)", train_split)
    expect(isinstance(seed, int) and seed >= 0, "seed", "a non-negative int", seed)
    rng = np.random.RandomState(seed)
    templates = mnist1d_templates()
    per_class = num_samples // 10
    xs, ys = [], []
    for label in range(10):
        for _ in range(per_class):
            xs.append(_transform(templates[label], rng))
            ys.append(label)
    order = rng.permutation(len(ys))
    x = np.stack(xs)[order]                                        # (N, 40)
    y = np.asarray(ys)[order]                                      # (N,)
    x = (x - x.mean()) / x.std()
    cut = int(len(y) * train_split)
    out = {"x": x[:cut], "y": y[:cut], "x_test": x[cut:], "y_test": y[cut:]}
    for v in out.values():
        v.flags.writeable = False
    return out


@syllabus("training.image_classification_data")
@register_dataset("mnist1d", description="MNIST-1D: 40-point 1-D digits from 10 templates (4,000 train / 1,000 test)",
                  splits=MNIST1D_SPLITS, tags=("sequence", "classification"))
def load_mnist1d(split: str = "train", flatten: bool = False, val_size: int = 500,
                 split_seed: int = 0, seed: int = 42) -> TensorDataset:
    """A TensorDataset of (signal, label): signals (N, 1, 40) float32, or (N, 40) with ``flatten``.

    ``train`` is the paper's 4,000 training examples minus ``val_size`` held out (stratified,
    seeded by ``split_seed``) as ``val``; ``trainval`` is all 4,000; ``test`` is the paper's 1,000.
    ``seed`` is the generator's seed (42 = the published dataset).
    """
    expect(split in MNIST1D_SPLITS, "split", f"one of {MNIST1D_SPLITS}", split)
    expect(isinstance(val_size, int) and 0 <= val_size < 4000, "val_size", "an int in [0, 4000)", val_size)
    d = make_mnist1d(seed=seed)
    if split == "test":
        x, y = d["x_test"], d["y_test"]
    elif split == "trainval":
        x, y = d["x"], d["y"]
    else:
        parts = stratified_split(torch.tensor(d["y"]), val=val_size, test=0, seed=split_seed)
        idx = parts[split].numpy()
        x, y = d["x"][idx], d["y"][idx]
    xt = torch.tensor(x, dtype=torch.float32)                      # (N, 40)
    if not flatten:
        xt = xt.unsqueeze(1)                                       # (N, 1, 40)
    return TensorDataset(xt, torch.tensor(y, dtype=torch.long))
