"""Learning-rate decay schedules: step, exponential, inverse square root, cosine.

Syllabus: optimization.lr_decay. Notes: 000 L2.48-49; 001 S5.07.

With eta_0 the optimizer's initial lr and t the scheduler's counter (``last_epoch``, advanced by
each ``scheduler.step()``, per step or per epoch as the caller chooses):

    step:         eta_t = eta_0 gamma^floor(t / step_size)
    exponential:  eta_t = eta_0 gamma^t
    inverse-sqrt: eta_t = eta_0 / sqrt(t + 1)
    cosine:       eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi t / T_max)) / 2

Each is written in closed form (torch's own schedulers update recursively from the previous lr).
The notes give the shapes without settings. Equal to torch's StepLR, ExponentialLR and
CosineAnnealingLR, and to LambdaLR for inverse-sqrt (tests/optim/test_schedules.py).
"""
from __future__ import annotations

import math

from torch.optim.lr_scheduler import LRScheduler

from ..core import expect, syllabus

__all__ = ["StepLR", "ExponentialLR", "InverseSqrtLR", "CosineAnnealingLR"]


class _ClosedFormLR(LRScheduler):
    """eta_t = base_lr * factor(t) for every param group."""

    def factor(self, t: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        return [base * self.factor(self.last_epoch) for base in self.base_lrs]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()


@syllabus("optimization.lr_decay")
class StepLR(_ClosedFormLR):
    """Multiply the lr by ``gamma`` every ``step_size`` scheduler steps."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        expect(isinstance(step_size, int) and step_size > 0, "step_size", "a positive int", step_size)
        expect(gamma > 0, "gamma", "a positive factor", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


@syllabus("optimization.lr_decay")
class ExponentialLR(_ClosedFormLR):
    """Multiply the lr by ``gamma`` every scheduler step."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        expect(gamma > 0, "gamma", "a positive factor", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return self.gamma ** t


@syllabus("optimization.lr_decay")
class InverseSqrtLR(_ClosedFormLR):
    """eta_0 / sqrt(t + 1)."""

    def factor(self, t: int) -> float:
        return 1.0 / math.sqrt(t + 1)


@syllabus("optimization.lr_decay")
class CosineAnnealingLR(LRScheduler):
    """Half a cosine from eta_0 at t = 0 down to ``eta_min`` at t = ``T_max``."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        expect(isinstance(T_max, int) and T_max > 0, "T_max", "a positive int", T_max)
        expect(eta_min >= 0, "eta_min", "a non-negative lr", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()
