"""Calibration: expected calibration error, reliability diagram, temperature scaling.

Syllabus: robustness.calibration. Notes: 002 §9.1c.

Predictions are binned by confidence c = max softmax into n_bins equal-width bins
(b-1)/n < c <= b/n. Per bin: acc_b = mean correctness, conf_b = mean confidence, and

    ECE = sum_b (|B_b| / N) |acc_b - conf_b|

(the L1 calibration error). The reliability diagram plots acc_b against conf_b.
Errata: the notes define calibration only informally ("0.7 means right 7 times out of 10") and
name no metric; ECE with 15 bins is the standard one. ``fit_temperature`` is the usual
post-hoc fix (one scalar T > 0 minimising validation NLL of logits / T).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["reliability_bins", "expected_calibration_error", "fit_temperature", "plot_reliability"]


def reliability_bins(confidence: torch.Tensor, correct: torch.Tensor, n_bins: int = 15
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-bin (count, accuracy, mean confidence), each (n_bins,); empty bins have acc = conf = 0."""
    expect(confidence.dim() == 1, "confidence", "a 1-D tensor (N,)", tuple(confidence.shape))
    expect(correct.shape == confidence.shape, "correct", f"shape {tuple(confidence.shape)}", tuple(correct.shape))
    expect(bool(((confidence >= 0) & (confidence <= 1)).all()), "confidence", "values in [0, 1]",
           (float(confidence.min()), float(confidence.max())))
    expect(n_bins >= 1, "n_bins", "a positive int", n_bins)
    conf = confidence.double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    idx = (torch.bucketize(conf, edges[1:-1], right=False)).clamp(0, n_bins - 1)  # (lo, hi] bins
    count = torch.bincount(idx, minlength=n_bins).double()
    acc = torch.bincount(idx, weights=correct.double(), minlength=n_bins) / count.clamp_min(1)
    mean_conf = torch.bincount(idx, weights=conf, minlength=n_bins) / count.clamp_min(1)
    return count, acc, mean_conf


@syllabus("robustness.calibration")
def expected_calibration_error(probs: torch.Tensor, target: torch.Tensor, n_bins: int = 15) -> float:
    """ECE of class probabilities (N, K) against labels (N,), or of confidences (N,) vs correctness (N,)."""
    if probs.dim() == 2:
        conf, pred = probs.max(-1)
        correct = pred == target
    else:
        conf, correct = probs, target.bool()
    count, acc, mean_conf = reliability_bins(conf, correct, n_bins)
    return float((count / count.sum() * (acc - mean_conf).abs()).sum())


def fit_temperature(logits: torch.Tensor, target: torch.Tensor, steps: int = 200) -> float:
    """T > 0 minimising NLL(logits / T, target) (optimised as log T with LBFGS)."""
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(logits.detach() / log_t.exp(), target)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


def plot_reliability(ax, probs: torch.Tensor, target: torch.Tensor, n_bins: int = 15, label: str = "") -> None:
    """Reliability diagram on a matplotlib axis: accuracy per confidence bin vs the diagonal."""
    conf, pred = probs.max(-1)
    count, acc, _ = reliability_bins(conf, pred == target, n_bins)
    centres = (torch.arange(n_bins) + 0.5) / n_bins
    keep = count > 0
    ax.bar(centres[keep].numpy(), acc[keep].numpy(), width=1 / n_bins, alpha=0.5, edgecolor="k",
           label=f"{label} ECE={expected_calibration_error(probs, target, n_bins):.3f}")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
