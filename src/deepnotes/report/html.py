"""Render run folders to static HTML (no JavaScript, no server, relative links only)."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ..core.io import atomic_write, read_json

__all__ = ["build_report", "render_run", "find_runs"]

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f4f4f4}.pass{color:#0a7a28;font-weight:bold}.fail{color:#b3261e;font-weight:bold}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}pre{background:#f7f7f7;padding:.8em;overflow:auto}
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")


def _verdict(passed: bool) -> str:
    return "<span class='pass'>PASS</span>" if passed else "<span class='fail'>FAIL</span>"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{trs}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return html.escape(str(v))


def find_runs(root: Path) -> list[Path]:
    """Every folder below ``root`` (``root`` included) that holds a summary.json."""
    return sorted(p.parent for p in root.rglob("summary.json"))


def _metric_rows(run_dir: Path, limit: int = 200) -> tuple[list[str], list[list[str]]]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return [], []
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    if len(rows) > limit:  # keep the shape of the curve: evenly spaced rows plus the last
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)] + [rows[-1]]
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    return keys, [[_fmt(r.get(k, "")) for k in keys] for r in rows]


def render_run(run_dir: str | Path, index_href: str | None = None) -> Path:
    """Write ``report.html`` into one run folder and return its path.

    ``index_href`` is the relative link back to the index of runs (none when None).
    """
    run_dir = Path(run_dir)
    s = read_json(run_dir / "summary.json")
    cfg = read_json(run_dir / "config.json") if (run_dir / "config.json").exists() else {}
    title = f"{s['experiment']} — {run_dir.name}"
    parts = [f"<p><a href='{html.escape(index_href)}'>all runs</a></p>" if index_href else "",
             f"<h1>{html.escape(s['experiment'])}</h1>",
             f"<p>{_verdict(s['passed'])} · status {html.escape(s['status'])} · seed {s['seed']} · "
             f"{'quick' if s['quick'] else 'full'} budget · {s['wall_time_s']:.1f} s · device "
             f"{html.escape(str(s['device']))}</p>"]
    if s.get("error"):
        parts.append(f"<pre>{html.escape(s['error'])}</pre>")
    parts.append("<h2>Bars</h2>" + _table(["bar", "value", "verdict"], [
        [html.escape(b["bar"]), _fmt(b["value"]), _verdict(b["passed"])] for b in s["bars"]]))
    parts.append("<h2>Final metrics</h2>" + _table(["metric", "value"], [
        [html.escape(k), _fmt(v)] for k, v in s["metrics"].items()]))
    figures = sorted((run_dir / "figures").glob("*.png")) if (run_dir / "figures").exists() else []
    if figures:
        parts.append("<h2>Figures</h2>" + "".join(
            f"<figure><img src='figures/{html.escape(f.name)}' alt='{html.escape(f.stem)}'>"
            f"<figcaption>{html.escape(f.stem)}</figcaption></figure>" for f in figures))
    keys, rows = _metric_rows(run_dir)
    if rows:
        parts.append("<h2>Logged metrics</h2>" + _table(keys, rows))
    parts.append("<h2>Config</h2><pre>" + html.escape(json.dumps(cfg, indent=2)) + "</pre>")
    parts.append("<h2>Versions</h2><pre>" + html.escape(json.dumps(s.get("versions", {}), indent=2)) + "</pre>")
    return atomic_write(run_dir / "report.html", _page(title, "\n".join(parts)))


def build_report(directory: str | Path) -> Path:
    """Render every run below ``directory`` and write ``directory/index.html``."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"report: expected a folder of runs, got {str(root)!r} (not a folder)")
    runs = find_runs(root)
    if not runs:
        raise ValueError(f"report: expected run folders (with summary.json) below {str(root)!r}, found none")
    rows = []
    for run in runs:
        page = render_run(run, index_href=_relpath(root / "index.html", run))
        s = read_json(run / "summary.json")
        bars = "; ".join(f"{html.escape(b['bar'])} ({_fmt(b['value'])})" for b in s["bars"]) or "-"
        rel = page.relative_to(root).as_posix()
        rows.append([f"<a href='{html.escape(rel)}'>{html.escape(s['experiment'])}</a>",
                     html.escape(run.name), "quick" if s["quick"] else "full", bars,
                     _verdict(s["passed"]), f"{s['wall_time_s']:.1f}"])
    body = "<h1>deepnotes runs</h1>" + _table(
        ["experiment", "run", "budget", "bars", "verdict", "seconds"], rows)
    return atomic_write(root / "index.html", _page("deepnotes runs", body))


def _relpath(target: Path, start_dir: Path) -> str:
    import os
    return Path(os.path.relpath(target, start_dir)).as_posix()
