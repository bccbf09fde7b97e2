"""Classification metrics: accuracy, error rate, and multi-label prediction and Hamming loss.

Syllabus: foundations.zero_one_loss, foundations.multilabel_classification.
Notes: 000 L2.55, L5.03; 001 S8.40, S13.26; 003 L0.16.

    accuracy   = (1/N) sum_n 1[yhat_n == y_n] = 1 - L01 / N
    error rate = L01 / N

Multi-label classification gives each of k labels its own sigmoid: the model emits k logits,
trains with binary cross-entropy against a multi-hot target (deepnotes.losses.
binary_cross_entropy_with_logits), and predicts label j iff sigmoid(z_j) > 0.5, i.e. z_j > 0.
The Hamming loss is the fraction of (example, label) entries predicted wrong.
Equal to sklearn.metrics.accuracy_score / hamming_loss (tests/metrics/test_classification.py).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["accuracy", "error_rate", "multilabel_predict", "hamming_loss"]


def _labels(input: Tensor, target: Tensor) -> Tensor:
    """Predicted labels: ``input`` is labels shaped like ``target`` or scores (N, C) to argmax."""
    expect(isinstance(input, Tensor) and isinstance(target, Tensor), "input",
           "torch tensors of predictions and targets", type(input).__name__, TypeError)
    if input.dim() == target.dim() + 1:
        input = input.argmax(1)
    expect(input.shape == target.shape, "input",
           f"labels shaped {tuple(target.shape)} or scores shaped (N, C)", tuple(input.shape))
    return input


@syllabus("foundations.zero_one_loss")
def accuracy(input: Tensor, target: Tensor) -> float:
    """Fraction of correct predictions; ``input`` is predicted labels or class scores (N, C)."""
    pred = _labels(input, target)
    expect(pred.numel() > 0, "target", "at least one example", pred.numel())
    return (pred == target).double().mean().item()


@syllabus("foundations.zero_one_loss")
def error_rate(input: Tensor, target: Tensor) -> float:
    """Fraction of wrong predictions, 1 - accuracy."""
    return 1.0 - accuracy(input, target)


@syllabus("foundations.multilabel_classification")
def multilabel_predict(logits: Tensor, threshold: float = 0.5) -> Tensor:
    """Multi-hot prediction: label j is on iff sigmoid(z_j) > threshold. (N, k) -> (N, k) long."""
    expect(0 < threshold < 1, "threshold", "a probability in (0, 1)", threshold)
    return (torch.sigmoid(logits) > threshold).long()


@syllabus("foundations.multilabel_classification")
def hamming_loss(input: Tensor, target: Tensor) -> float:
    """Fraction of wrong entries between multi-hot predictions and targets of one shape (N, k)."""
    expect(isinstance(input, Tensor) and isinstance(target, Tensor) and input.shape == target.shape,
           "input", f"a multi-hot tensor shaped like target {tuple(getattr(target, 'shape', ()))}",
           getattr(input, "shape", input))
    return (input != target).double().mean().item()
