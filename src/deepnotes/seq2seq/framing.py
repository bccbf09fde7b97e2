"""Framing a 1-D signal into overlapping fixed-length frames (the input of speech models).

Syllabus: sequences.audio_framing. Notes: 000 L4.03.

Frames of W samples (25 ms) every H samples (10 ms): frame k = x[kH : kH + W], and there are
floor((N - W) / H) + 1 of them (the tail that does not fill a frame is dropped).
"""
from __future__ import annotations

from torch import Tensor

from ..core import expect, syllabus

__all__ = ["frame_signal", "frame_lengths_ms"]


@syllabus("sequences.audio_framing")
def frame_signal(signal: Tensor, frame_length: int, hop_length: int) -> Tensor:
    """(..., N) -> (..., num_frames, frame_length), a view with frame k = signal[kH : kH + W]."""
    N = signal.shape[-1]
    expect(frame_length >= 1 and hop_length >= 1, "frame_length/hop_length", "positive ints",
           (frame_length, hop_length))
    expect(N >= frame_length, "signal", f"at least frame_length={frame_length} samples", N)
    return signal.unfold(-1, frame_length, hop_length)


def frame_lengths_ms(sample_rate: int, frame_ms: float = 25.0, hop_ms: float = 10.0) -> tuple[int, int]:
    """(W, H) in samples for frames of ``frame_ms`` every ``hop_ms`` milliseconds."""
    return round(sample_rate * frame_ms / 1000), round(sample_rate * hop_ms / 1000)
