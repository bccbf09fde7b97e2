"""deepnotes: every method of four deep-learning courses, beside its equation, proven right.

Layers (each imports only from those above it): ``core`` -> ``data`` -> building blocks
(``autodiff``, ``nn``, ``optim``, ``losses``, ``metrics``, ``train``) -> method families
(``models``, ``vision``, ``interpret``, ``generative``, ``rl``, ``robust``, ``transfer``,
``graphs``) -> ``experiments`` -> ``cli`` and ``report``.
"""
__version__ = "0.1.0"

from .core.syllabus import syllabus  # noqa: E402

__all__ = ["__version__", "syllabus"]
