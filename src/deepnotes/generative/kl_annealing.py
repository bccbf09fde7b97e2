"""KL annealing: the weight of the KL term grows from 0 so the model learns to use z first.

Syllabus: generative.kl_annealing. Notes: 002 §8.4g.

    linear warm-up:  beta_t = min(1, t / T_warm)
    cyclical:        beta_t = min(1, (t mod T_cycle) / (ratio * T_cycle))
"""
from __future__ import annotations

from ..core import expect, syllabus

__all__ = ["KLAnnealing"]


@syllabus("generative.kl_annealing")
class KLAnnealing:
    """``beta(step)``; ``mode`` "linear" (warm-up over ``warmup`` steps) or "cyclical"."""

    def __init__(self, warmup: int, mode: str = "linear", cycle: int | None = None, ratio: float = 0.5):
        expect(isinstance(warmup, int) and warmup >= 1, "warmup", "a positive int", warmup)
        expect(mode in ("linear", "cyclical"), "mode", "'linear' or 'cyclical'", mode)
        expect(mode == "linear" or (cycle is not None and cycle >= 1), "cycle",
               "a positive int for mode='cyclical'", cycle)
        expect(0 < ratio <= 1, "ratio", "a float in (0, 1]", ratio)
        self.warmup, self.mode, self.cycle, self.ratio = warmup, mode, cycle, ratio

    def __call__(self, step: int) -> float:
        expect(step >= 0, "step", "a non-negative int", step)
        if self.mode == "linear":
            return min(1.0, step / self.warmup)
        return min(1.0, (step % self.cycle) / (self.ratio * self.cycle))
