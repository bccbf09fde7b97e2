"""Anomaly detection by reconstruction error: an autoencoder trained on normal data only.

Syllabus: generative.ae_anomaly_detection. Notes: 000 L8.14-L8.15.

    score(x) = ||x - f(g(x))||^2 / D
    threshold tau = q-quantile of the scores of normal validation data (q = 0.99)
    flag x as anomalous iff score(x) > tau      (~1 - q false positives on normal data)
"""
from __future__ import annotations

from typing import Callable

import torch

from ..core import expect, syllabus

__all__ = ["reconstruction_scores", "AnomalyDetector"]


def reconstruction_scores(reconstruct: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Per-example mean squared reconstruction error; x (N, D) -> (N,)."""
    with torch.no_grad():
        return ((reconstruct(x) - x) ** 2).flatten(1).mean(1)


@syllabus("generative.ae_anomaly_detection")
class AnomalyDetector:
    """Wraps any reconstruct function (an AE module, ``PCA.reconstruct``) with a quantile threshold."""

    def __init__(self, reconstruct: Callable[[torch.Tensor], torch.Tensor], quantile: float = 0.99):
        expect(0 < quantile < 1, "quantile", "a float in (0, 1)", quantile)
        self.reconstruct, self.quantile = reconstruct, quantile

    def fit_threshold(self, x_normal_val: torch.Tensor) -> "AnomalyDetector":
        self.threshold_ = torch.quantile(self.score(x_normal_val), self.quantile).item()
        return self

    def score(self, x: torch.Tensor) -> torch.Tensor:
        return reconstruction_scores(self.reconstruct, x)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        expect(hasattr(self, "threshold_"), "threshold", "fit_threshold called first", None)
        return self.score(x) > self.threshold_
