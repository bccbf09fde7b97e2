"""Diagnosing a training failure: model bias, optimisation, or overfitting.

Syllabus: foundations.fit_diagnosis. Notes: 000 L2.03, L2.06; 001 S8.02; 002 §2.2a.

The notes' recipe, as a decision rule on losses measured against an acceptable level:

    train loss large  -> if a smaller/shallower model reaches a LOWER train loss, the bigger model
                         could represent that solution but was not found: 'optimisation';
                         otherwise the model family cannot fit: 'bias'
    train small, validation large -> 'overfit' (or train/test mismatch)
    both small        -> 'ok'

Tests: polynomials of degree 0 / 3 / 15 on 20 noisy sine points are 'bias' / 'ok' / 'overfit',
and an under-trained deep net beaten by a shallow one is 'optimisation'
(tests/models/test_fit_diagnosis.py).
"""
from __future__ import annotations

from ..core import expect, syllabus

__all__ = ["diagnose_fit"]


@syllabus("foundations.fit_diagnosis")
def diagnose_fit(train_loss: float, val_loss: float, acceptable_loss: float,
                 baseline_train_loss: float | None = None) -> str:
    """'bias' | 'optimisation' | 'overfit' | 'ok' by the notes' decision rule.

    ``acceptable_loss`` is the level a good fit reaches (for regression, about the noise
    variance); ``baseline_train_loss`` is a smaller model's train loss, if one was trained.
    """
    expect(acceptable_loss > 0, "acceptable_loss", "a positive float", acceptable_loss)
    expect(train_loss >= 0 and val_loss >= 0, "train_loss/val_loss", "non-negative losses",
           (train_loss, val_loss))
    if train_loss > acceptable_loss:
        if baseline_train_loss is not None and baseline_train_loss < train_loss:
            return "optimisation"
        return "bias"
    if val_loss > acceptable_loss:
        return "overfit"
    return "ok"
