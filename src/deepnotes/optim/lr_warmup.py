"""Learning-rate warm-up: linear ramps, warm-up then cosine decay, and the Transformer's schedule.

Syllabus: optimization.lr_warmup. Notes: 000 L2.50.

With eta_0 the optimizer's initial lr and t the scheduler's counter (t = 0 before any step):

    linear:         eta_t = eta_0 (s + (e - s) min(t, n) / n)       s = start, e = end factor
    warm-up+cosine: eta_t = eta_0 (t + 1) / w                        for t < w
                    eta_t = eta_0 (1 + cos(pi (t + 1 - w) / (T - w))) / 2   for w <= t + 1 <= T
    Noam:           eta_t = eta_0 d_model^-0.5 min(s^-0.5, s w^-1.5)   with s = t + 1

The Noam schedule (Vaswani et al.; eta_0 = 1 gives the paper's rate) rises linearly for w = 4000
steps, peaks at s = w with d_model^-0.5 w^-0.5, and then decays as 1 / sqrt(s). Counting from
s = t + 1 keeps the first lr finite. 000 motivates warm-up with RAdam's variance argument.

LinearLR equals torch's LinearLR; the others equal a torch LambdaLR with the same lambda
(tests/optim/test_schedules.py).
"""
from __future__ import annotations

import math

from torch.optim.lr_scheduler import LRScheduler

from ..core import expect, syllabus

__all__ = ["LinearLR", "WarmupCosineLR", "NoamLR", "noam_factor"]


class _FactorLR(LRScheduler):
    def factor(self, t: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        return [base * self.factor(self.last_epoch) for base in self.base_lrs]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()


@syllabus("optimization.lr_warmup")
class LinearLR(_FactorLR):
    """Scale the lr linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` steps."""

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        expect(0 < start_factor <= 1, "start_factor", "a value in (0, 1]", start_factor)
        expect(0 <= end_factor <= 1, "end_factor", "a value in [0, 1]", end_factor)
        expect(isinstance(total_iters, int) and total_iters > 0, "total_iters", "a positive int",
               total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        frac = min(t, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * frac


@syllabus("optimization.lr_warmup")
class WarmupCosineLR(_FactorLR):
    """Linear warm-up over ``warmup_steps`` steps, then cosine decay to 0 at ``total_steps``."""

    def __init__(self, optimizer, warmup_steps: int, total_steps: int, last_epoch: int = -1):
        expect(isinstance(warmup_steps, int) and warmup_steps > 0, "warmup_steps", "a positive int",
               warmup_steps)
        expect(isinstance(total_steps, int) and total_steps > warmup_steps, "total_steps",
               f"an int > warmup_steps ({warmup_steps})", total_steps)
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        s, w = t + 1, self.warmup_steps
        if s < w:
            return s / w
        frac = min(s - w, self.total_steps - w) / (self.total_steps - w)
        return (1 + math.cos(math.pi * frac)) / 2


def noam_factor(t: int, d_model: int, warmup_steps: int = 4000) -> float:
    """d_model^-0.5 min(s^-0.5, s w^-1.5) at s = t + 1."""
    s = t + 1
    return d_model ** -0.5 * min(s ** -0.5, s * warmup_steps ** -1.5)


@syllabus("optimization.lr_warmup")
class NoamLR(_FactorLR):
    """The Transformer's warm-up schedule; set the optimizer's lr to 1 for the paper's rates."""

    def __init__(self, optimizer, d_model: int, warmup_steps: int = 4000, last_epoch: int = -1):
        expect(isinstance(d_model, int) and d_model > 0, "d_model", "a positive int", d_model)
        expect(isinstance(warmup_steps, int) and warmup_steps > 0, "warmup_steps", "a positive int",
               warmup_steps)
        self.d_model, self.warmup_steps = d_model, warmup_steps
        super().__init__(optimizer, last_epoch)

    def factor(self, t: int) -> float:
        return noam_factor(t, self.d_model, self.warmup_steps)
