"""Probing classifiers: a linear classifier trained on frozen features.

Syllabus: interpretability.linear_probe. Notes: 000 L9.09, L9.10; 003 L13.31, L13.36.

    features h = encoder(x) (encoder frozen, evaluated without gradients)
    probe:   p(y | h) = softmax(W h + b), fitted by minimising
             sum_n CE(W h_n + b, y_n) + 1/(2C) ||W||^2        (L-BFGS, full batch)

This is scikit-learn's multinomial LogisticRegression objective (same C), so on raw pixels the
probe's accuracy matches it. High probe accuracy says the information is *linearly* decodable
from that layer; a probe trained on shuffled labels measures what the probe can memorise
(it should stay at chance on held-out data). A high-capacity probe would blur that reading.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["ProbeResult", "fit_linear_probe"]


@dataclass
class ProbeResult:
    probe: nn.Linear
    train_acc: float
    test_acc: float | None


def _features(encoder: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return encoder(x).flatten(1).to(torch.float64)


@syllabus("interpretability.linear_probe")
def fit_linear_probe(encoder: Callable[[torch.Tensor], torch.Tensor], x_train: torch.Tensor, y_train: torch.Tensor,
                     x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None, C: float = 1.0,
                     max_iter: int = 200, num_classes: int | None = None) -> ProbeResult:
    """Fit a multinomial logistic probe on ``encoder`` features; the encoder is never updated."""
    expect(C > 0, "C", "a positive inverse regularisation strength", C)
    h = _features(encoder, x_train)                                             # (n, d)
    expect(h.size(0) == y_train.numel(), "y_train", f"{h.size(0)} labels", y_train.numel())
    k = num_classes or int(y_train.max()) + 1
    mean, std = h.mean(0), h.std(0).clamp(min=1e-8)                              # standardise (probe side)
    lin = nn.Linear(h.size(1), k).double()
    nn.init.zeros_(lin.weight), nn.init.zeros_(lin.bias)
    opt = torch.optim.LBFGS(lin.parameters(), lr=1.0, max_iter=max_iter, tolerance_grad=1e-9,
                            tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")
    z = (h - mean) / std

    def closure():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(lin(z), y_train, reduction="sum") + lin.weight.pow(2).sum() / (2 * C)
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():                                                        # fold the scaling into W, b
        w = lin.weight / std
        b = lin.bias - w @ mean
        probe = nn.Linear(h.size(1), k).double()
        probe.weight.copy_(w), probe.bias.copy_(b)
        train_acc = (probe(h).argmax(1) == y_train).double().mean().item()
        test_acc = None
        if x_test is not None:
            test_acc = (probe(_features(encoder, x_test)).argmax(1) == y_test).double().mean().item()
    return ProbeResult(probe, train_acc, test_acc)
