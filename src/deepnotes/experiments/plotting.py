"""matplotlib for experiment figures, without a display.

Experiments draw with pyplot and hand each figure to ``Run.save_figure``, which writes a PNG and
closes it. On a server or in CI there is no display, so the first use selects the file-only Agg
backend; where the user has chosen a backend (pyplot already imported, as in a notebook or a GUI
session, or ``MPLBACKEND`` set) theirs is kept, and figures still save the same way.
"""
from __future__ import annotations

import os
import sys

__all__ = ["pyplot"]


def pyplot():
    """The ``matplotlib.pyplot`` module, on Agg unless the user chose a backend."""
    import matplotlib
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
