"""scikit-learn's small tabular sets (iris, wine, breast_cancer, diabetes) as TensorDatasets.

The split is digits' scheme: 60% train, 20% validation, 20% test, stratified by class (by target
decile for the diabetes regression) and fixed by ``split_seed``. ``standardize=True`` scales
every split with the TRAINING split's per-feature mean and std
(:class:`deepnotes.data.Standardize`), never with its own.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch.utils.data import TensorDataset

from ..core import expect
from .registry import register_dataset
from .splits import holdout_sizes, train_val_test_split
from .standardize import Standardize

__all__ = ["load_tabular", "TABULAR_SETS"]

TABULAR_SETS = {
    "iris": ("load_iris", "classification", "iris flowers: 150 x 4 features, 3 classes"),
    "wine": ("load_wine", "classification", "wine cultivars: 178 x 13 features, 3 classes"),
    "breast_cancer": ("load_breast_cancer", "classification", "breast cancer: 569 x 30 features, 2 classes"),
    "diabetes": ("load_diabetes", "regression", "diabetes progression: 442 x 10 features, regression"),
}
_SPLITS = ("train", "val", "test", "all")


@functools.lru_cache(maxsize=8)
def _raw(name: str) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets

    d = getattr(sklearn.datasets, TABULAR_SETS[name][0])()
    return d.data.astype(np.float64), d.target


def _indices(name: str, split: str, split_seed: int) -> np.ndarray:
    x, y = _raw(name)
    if split == "all":
        return np.arange(len(y))
    strata = y if TABULAR_SETS[name][1] == "classification" else np.digitize(y, np.quantile(y, np.linspace(0, 1, 11)[1:-1]))
    val, test = holdout_sizes(len(y))
    return train_val_test_split(torch.as_tensor(strata), val=val, test=test, seed=split_seed)[split].numpy()


def load_tabular(name: str, split: str = "train", standardize: bool = False, split_seed: int = 0) -> TensorDataset:
    """TensorDataset (x (N, D) float32, y (N,) long or float32 for regression)."""
    expect(name in TABULAR_SETS, "name", f"one of {sorted(TABULAR_SETS)}", name)
    expect(split in _SPLITS, "split", f"one of {_SPLITS}", split)
    x, y = _raw(name)
    xt = torch.tensor(x[_indices(name, split, split_seed)], dtype=torch.float32)          # (N, D)
    if standardize:
        train = torch.tensor(x[_indices(name, "train", split_seed)], dtype=torch.float32)
        xt = Standardize().fit(train)(xt)
    yi = y[_indices(name, split, split_seed)]
    yt = torch.tensor(yi, dtype=torch.long if TABULAR_SETS[name][1] == "classification" else torch.float32)
    return TensorDataset(xt, yt)


def _register(name: str) -> None:
    @register_dataset(name, description=f"scikit-learn {TABULAR_SETS[name][2]}", splits=_SPLITS,
                      tags=("tabular", TABULAR_SETS[name][1]))
    def load(split: str = "train", standardize: bool = False, split_seed: int = 0) -> TensorDataset:
        return load_tabular(name, split, standardize, split_seed)
    load.__name__ = f"load_{name}"


for _name in TABULAR_SETS:
    _register(_name)
