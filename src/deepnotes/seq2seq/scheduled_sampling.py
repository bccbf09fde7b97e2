"""Scheduled sampling (Bengio et al.): decay the probability of feeding the ground truth.

Syllabus: sequences.scheduled_sampling. Notes: 000 L5.25-L5.26; 002 §6.3b, §6.3d.

At decoder step t the input is the true y_{t-1} with probability p_i (i = training step) and
the model's own previous prediction otherwise. p_i decays from 1 (teacher forcing) towards 0
(free running, as at test time), which reduces exposure bias:

    linear            p_i = max(eps, 1 - c i)
    exponential       p_i = k^i,              k < 1
    inverse sigmoid   p_i = k / (k + exp(i / k)),  k >= 1

The mixing itself is done by the decoders (``RNNEncoderDecoder(..., teacher_forcing=p)``).
"""
from __future__ import annotations

import math

from ..core import expect, syllabus

__all__ = ["teacher_forcing_probability"]


@syllabus("sequences.scheduled_sampling")
def teacher_forcing_probability(step: int, kind: str = "inverse_sigmoid", k: float = 100.0,
                                c: float = 1e-3, eps: float = 0.0) -> float:
    """p_i of the chosen schedule ('linear', 'exponential', 'inverse_sigmoid', 'constant')."""
    expect(step >= 0, "step", "a non-negative training step", step)
    if kind == "linear":
        return max(eps, 1.0 - c * step)
    if kind == "exponential":
        expect(0 < k < 1, "k", "a base in (0, 1) for the exponential schedule", k)
        return max(eps, k ** step)
    if kind == "inverse_sigmoid":
        expect(k >= 1, "k", "k >= 1 for the inverse-sigmoid schedule", k)
        return max(eps, k / (k + math.exp(min(step / k, 700.0))))
    expect(kind == "constant", "kind", "'linear', 'exponential', 'inverse_sigmoid' or 'constant'", kind)
    return 1.0
