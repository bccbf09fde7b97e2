"""deepnotes.report: static HTML pages for run folders, readable from disk with no server.

``build_report(DIR)`` finds every run folder below DIR (a folder holding ``summary.json``),
writes ``report.html`` inside each (config, bar verdicts, final metrics, metric curves as a
table, figures) and ``index.html`` in DIR linking them all.
"""
from .html import build_report, render_run

__all__ = ["build_report", "render_run"]
