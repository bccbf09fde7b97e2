"""Risk, empirical risk and the reduction every loss shares.

Syllabus: foundations.empirical_risk. Notes: 000 L1.06, L1.26; 001 S3.01, S3.02, S8.26;
002 §2.1a, §2.1c, §2.1d.

The risk is the expected loss under the data distribution, R(theta) = E[L(f(x; theta), y)].
Training cannot see the distribution, so it minimises the sample average instead:

    J(theta) = (1/N) sum_i L(f(x_i; theta), y_i)          empirical risk
    theta*   = argmin_theta J(theta)                       empirical risk minimisation

Every loss in :mod:`deepnotes.losses` computes the per-example terms L_i and hands them to
:func:`reduce_loss`: ``"none"`` keeps them, ``"sum"`` adds them, ``"mean"`` divides the sum by
their number, so mean == sum / N == mean(none) for every loss (tests/losses/test_risk.py
checks this by walking the package's exports).
"""
from __future__ import annotations

from typing import Callable

from torch import Tensor

from ..core import expect, syllabus

__all__ = ["REDUCTIONS", "reduce_loss", "empirical_risk"]

REDUCTIONS = ("mean", "sum", "none")


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Reduce per-example losses: ``"mean"`` (sum / N), ``"sum"`` or ``"none"`` (unchanged)."""
    expect(reduction in REDUCTIONS, "reduction", f"one of {REDUCTIONS}", reduction)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean()


def check_same_shape(input: Tensor, target: Tensor) -> None:
    """Elementwise losses need ``input`` and ``target`` of one shape (no silent broadcasting)."""
    expect(isinstance(input, Tensor), "input", "a torch.Tensor", type(input).__name__, TypeError)
    expect(isinstance(target, Tensor), "target", "a torch.Tensor", type(target).__name__, TypeError)
    expect(input.shape == target.shape, "target", f"the shape of input {tuple(input.shape)}",
           tuple(target.shape))


@syllabus("foundations.empirical_risk")
def empirical_risk(loss_fn: Callable[..., Tensor], model: Callable[[Tensor], Tensor],
                   inputs: Tensor, targets: Tensor) -> Tensor:
    """J(theta) = (1/N) sum_i loss_fn(model(x_i), y_i): the training objective of ERM."""
    expect(len(inputs) == len(targets), "targets", f"{len(inputs)} rows (one per input)", len(targets))
    expect(len(inputs) > 0, "inputs", "at least one example", len(inputs))
    per_example = loss_fn(model(inputs), targets, reduction="none")  # (N, ...)
    return per_example.reshape(len(inputs), -1).sum(1).mean()
