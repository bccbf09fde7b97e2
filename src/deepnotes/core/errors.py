"""Errors that name the argument, what was expected and what was given.

Every user-facing failure in deepnotes is one of these, so the CLI can print it in one line
and exit with status 2 (usage) or 1 (a run that failed).
"""
from __future__ import annotations

import difflib
from typing import Any, Iterable

__all__ = ["DeepnotesError", "ConfigError", "UnknownNameError", "NonFiniteLossError",
           "CheckpointError", "DataError", "check", "expect"]


class DeepnotesError(Exception):
    """Base class of every error deepnotes raises on purpose."""


class ConfigError(DeepnotesError, ValueError):
    """A configuration value or override is invalid."""


class UnknownNameError(DeepnotesError, KeyError):
    """A registry lookup failed; the message lists close matches."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        shown = ", ".join(known[:30]) + (", ..." if len(known) > 30 else "")
        self.kind, self.name, self.suggestions = kind, name, close
        super().__init__(f"unknown {kind} {name!r}{hint} (known: {shown or 'none'})")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class NonFiniteLossError(DeepnotesError, FloatingPointError):
    """Training produced a NaN or infinite loss."""

    def __init__(self, step: int, value: float, last_finite: float | None):
        self.step, self.value, self.last_finite = step, value, last_finite
        super().__init__(f"loss became {value} at step {step}; last finite loss was {last_finite}")


class CheckpointError(DeepnotesError, OSError):
    """A checkpoint is missing, truncated or corrupt."""


class DataError(DeepnotesError, OSError):
    """A dataset cannot be found, downloaded or verified."""


def expect(condition: bool, argument: str, expected: str, given: Any,
           error: type[Exception] = ValueError) -> None:
    """Raise ``error`` naming ``argument``, what was ``expected`` and what was ``given``.

    >>> expect(lr >= 0, "lr", "a non-negative float", lr)
    """
    if not condition:
        raise error(f"{argument}: expected {expected}, got {given!r}")


check = expect
