"""The bias-variance decomposition, estimated by retraining on resampled datasets.

Syllabus: foundations.bias_variance. Notes: 002 §2.2b, §2.2c; 000 L1.16, L2.18; 001 S8.01, S8.19.

For a model f_D trained on a random dataset D, a test point x with true function f(x) and
noisy label y = f(x) + e (variance s^2), the expected squared error splits into

    E_D,e[(f_D(x) - y)^2] = (E_D f_D(x) - f(x))^2  +  E_D[(f_D(x) - E_D f_D(x))^2]  +  s^2
                             bias^2                    variance                        noise

The cross term E_D[(f_D - Ef_D)(Ef_D - f)] vanishes because E_D[f_D - Ef_D] = 0 (002's proof
drops it without saying so). :func:`bias_variance_decomposition` estimates each term from the
predictions of R models (one per resampled dataset) and averages over test points.
Tests: the terms add up to the Monte Carlo error; bias^2 falls and variance rises with degree
(tests/models/test_bias_variance.py).
"""
from __future__ import annotations

from torch import Tensor

from ..core import expect, syllabus

__all__ = ["bias_variance_decomposition"]


@syllabus("foundations.bias_variance")
def bias_variance_decomposition(predictions: Tensor, f_true: Tensor, noise_var: float = 0.0
                                ) -> dict[str, float]:
    """{bias2, variance, noise, expected_error} from ``predictions`` (R, M) of R models at M points.

    ``expected_error`` = bias2 + variance + noise, the predicted mean squared error against a
    fresh noisy label.
    """
    expect(isinstance(predictions, Tensor) and predictions.dim() == 2 and predictions.shape[0] >= 2,
           "predictions", "a tensor (R, M) with R >= 2 models", tuple(getattr(predictions, "shape", ())))
    expect(f_true.shape == predictions.shape[1:], "f_true", f"shape ({predictions.shape[1]},)",
           tuple(f_true.shape))
    expect(noise_var >= 0, "noise_var", "a non-negative variance", noise_var)
    mean_pred = predictions.mean(0)                                        # (M,) E_D f_D(x)
    bias2 = ((mean_pred - f_true) ** 2).mean().item()
    variance = ((predictions - mean_pred) ** 2).mean(0).mean().item()      # 1/R, like the MC error
    return {"bias2": bias2, "variance": variance, "noise": float(noise_var),
            "expected_error": bias2 + variance + float(noise_var)}
