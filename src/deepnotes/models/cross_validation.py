"""N-fold cross-validation for model selection.

Syllabus: foundations.cross_validation. Notes: 000 L2.20.

Split the training data into N folds (default 5). For each fold i, fit on the other N - 1 folds
and score on fold i; the model's CV score is the average of the N scores. Among candidate models
or hyper-parameters, pick the best average, then refit it on all the training data. The test set
is never touched here.

:func:`kfold_indices` yields the folds (contiguous, like sklearn.model_selection.KFold, or
shuffled with a ``generator``); :func:`cross_val_score` runs ``fit_predict`` on each.
Scores equal sklearn.model_selection.cross_val_score with the same splits
(tests/models/test_cross_validation.py).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["kfold_indices", "cross_val_score"]


@syllabus("foundations.cross_validation")
def kfold_indices(n: int, n_splits: int = 5, shuffle: bool = False,
                  generator: torch.Generator | None = None) -> list[tuple[Tensor, Tensor]]:
    """[(train_idx, val_idx)] * n_splits; validation folds partition range(n).

    Fold sizes differ by at most one (the first n % n_splits folds get the extra example).
    """
    expect(isinstance(n_splits, int) and 2 <= n_splits <= n, "n_splits",
           f"an int in [2, n={n}]", n_splits)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    sizes = [n // n_splits + (1 if i < n % n_splits else 0) for i in range(n_splits)]
    folds, start = [], 0
    for size in sizes:
        val = order[start:start + size]
        train = torch.cat([order[:start], order[start + size:]])
        folds.append((train, val))
        start += size
    return folds


@syllabus("foundations.cross_validation")
def cross_val_score(fit_predict: Callable[[Tensor, Tensor, Tensor], Tensor],
                    score: Callable[[Tensor, Tensor], float], x: Tensor, y: Tensor,
                    folds: list[tuple[Tensor, Tensor]] | int = 5) -> Tensor:
    """Per-fold ``score(y_val, fit_predict(x_train, y_train, x_val))``, shape (n_folds,)."""
    expect(len(x) == len(y), "y", f"{len(x)} rows (one per x row)", len(y))
    if isinstance(folds, int):
        folds = kfold_indices(len(x), folds)
    return torch.tensor([float(score(y[va], fit_predict(x[tr], y[tr], x[va]))) for tr, va in folds],
                        dtype=torch.float64)
