"""The ``deepnotes`` command line (also ``python -m deepnotes``).

    deepnotes list [--chapter C] [--json]
    deepnotes run NAME [--set k=v ...] [--quick] [--seed N] [--device D] [--out DIR] [--resume RUN_DIR]
    deepnotes check [--quick] [--chapter C] [NAME ...]
    deepnotes report DIR
    deepnotes syllabus [--chapter C] [--missing] [--json]
    deepnotes show ID
    deepnotes data list | deepnotes data fetch NAME

Exit status: 0 success, 1 a bar failed or a run failed, 2 a usage error.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from .core.errors import ConfigError, UnknownNameError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="deepnotes", description="Deep-learning course methods, proven and runnable.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("list", help="list experiments")
    s.add_argument("--chapter")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("run", help="run one experiment")
    s.add_argument("name", nargs="?")
    s.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument("--quick", action="store_true", help="the seconds-long budget")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto")
    s.add_argument("--out", default=None, help="runs folder (default ./runs or $DEEPNOTES_RUNS)")
    s.add_argument("--resume", default=None, metavar="RUN_DIR")
    s.add_argument("--threads", type=int, default=1, help="torch intra-op CPU threads (0: torch's default)")

    s = sub.add_parser("check", help="run experiments and verify their bars")
    s.add_argument("names", nargs="*")
    s.add_argument("--quick", action="store_true")
    s.add_argument("--chapter")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto")
    s.add_argument("--out", default=None)
    s.add_argument("--threads", type=int, default=1, help="torch intra-op CPU threads (0: torch's default)")

    s = sub.add_parser("report", help="write static HTML pages for runs")
    s.add_argument("dir")

    s = sub.add_parser("syllabus", help="every syllabus id with its code, tests and experiments")
    s.add_argument("--chapter")
    s.add_argument("--missing", action="store_true")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("show", help="one syllabus id: docstring, sources, code, tests, experiments")
    s.add_argument("id")

    s = sub.add_parser("data", help="datasets")
    dsub = s.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    dsub.add_parser("list")
    f = dsub.add_parser("fetch")
    f.add_argument("name")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (UnknownNameError, ConfigError, ValueError) as e:  # the request itself is wrong
        print(f"deepnotes {args.command}: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # the run failed (NaN loss, corrupt checkpoint, offline download, ...)
        if os.environ.get("DEEPNOTES_DEBUG"):
            raise
        print(f"deepnotes {args.command}: failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


def _cmd_list(args) -> int:
    from . import experiments

    exps = experiments.list_experiments(args.chapter)
    if args.chapter and not exps:
        from .core.syllabus import items
        items(args.chapter)  # unknown chapter -> suggestions
    if args.json:
        print(json.dumps([e.describe() for e in exps], indent=2))
        return 0
    for e in exps:
        print(f"{e.name:32s} {e.chapter:18s} {e.exp_id or '-':45s} bar: {', '.join(map(str, e.bars))}")
        print(f"{'':32s} items: {', '.join(e.items)}")
        print(f"{'':32s} quick: {e.quick}  full: {e.budget or 'defaults'}")
    return 0


def _summary_line(s: dict) -> str:
    verdict = "PASS" if s["passed"] else "FAIL"
    bars = "; ".join(f"{b['bar']} (got {_fmt(b['value'])})" for b in s["bars"]) or "no bar"
    return f"{s['experiment']}: {verdict}  {bars}  [{s['wall_time_s']:.1f}s wall, {s.get('cpu_time_s', float('nan')):.1f}s CPU] -> {s['dir']}"


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, (int, float)) else str(v)


def _cmd_run(args) -> int:
    from .experiments import run_experiment

    if args.name is None and args.resume is None:
        raise ValueError("run: expected an experiment NAME or --resume RUN_DIR, got neither")
    s = run_experiment(args.name, args.overrides, quick=args.quick, seed=args.seed, device=args.device,
                       out=args.out, resume=args.resume, threads=args.threads or None)
    print(_summary_line(s))
    return 0 if s["passed"] or args.quick else 1


def _cmd_check(args) -> int:
    from . import experiments

    names = args.names or [e.name for e in experiments.list_experiments(args.chapter)]
    for n in names:
        experiments.get(n)  # unknown names fail before anything runs
    rows, failed = [], 0
    for n in names:
        try:
            s = experiments.run_experiment(n, quick=args.quick, seed=args.seed, device=args.device, out=args.out,
                                           threads=args.threads or None)
        except Exception as e:  # one broken experiment must not hide the others' verdicts
            rows.append((n, "-", f"error: {type(e).__name__}: {e}"[:60], "-", "FAIL", "-", "-"))
            failed += 1
            continue
        for b in s["bars"] or [{"metric": "-", "value": "-", "bar": "-", "passed": s["status"] == "ok"}]:
            rows.append((n, b["metric"], _fmt(b["value"]), b["bar"], "PASS" if b["passed"] else "FAIL",
                         f"{s['wall_time_s']:.1f}", f"{s['cpu_time_s']:.1f}"))
        failed += not s["passed"]
    header = ("experiment", "metric", "value", "bar", "verdict", "wall s", "CPU s")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _cmd_report(args) -> int:
    from .report import build_report

    index = build_report(args.dir)
    print(f"report: {index}")
    return 0


def _cmd_syllabus(args) -> int:
    from .core.syllabus import coverage

    cov = coverage(args.chapter)
    if args.missing:
        cov = [c for c in cov if c.missing]
    if args.json:
        print(json.dumps([c.__dict__ | {"missing": c.missing} for c in cov], indent=2))
        return 0
    chapters: dict[str, list[int]] = {}
    for c in cov:
        flag = "MISSING " + "+".join(c.missing) if c.missing else "ok"
        print(f"{c.id:48s} {flag:22s} code: {', '.join(c.code) or '-'}")
        if c.tests or c.experiments:
            print(f"{'':71s} tests: {len(c.tests)}  experiments: {', '.join(c.experiments) or '-'}")
        n = chapters.setdefault(c.chapter, [0, 0])
        n[0] += 1
        n[1] += not c.missing
    for ch, (total, done) in sorted(chapters.items()):
        print(f"chapter {ch}: {done}/{total} items with code and tests")
    return 0


def _cmd_show(args) -> int:
    import inspect

    from .core.syllabus import carriers, find_test_markers, import_all, item, tests_root
    from .experiments import list_experiments

    entry = item(args.id)
    import_all()
    print(f"{entry['id']}: {entry.get('name') or entry.get('title')}  [{entry['chapter']}]")
    if "sources" in entry:
        print(f"notes: {', '.join(entry['sources'])}")
    code = carriers().get(args.id, [])
    print(f"code: {', '.join(code) or '- (missing)'}")
    for q in code:
        obj = _resolve(q)
        doc = inspect.getdoc(obj) if obj is not None else None
        if doc:
            print("\n" + "\n".join("    " + l for l in doc.splitlines()) + "\n")
    root = tests_root()
    tests = find_test_markers(root).get(args.id, []) if root else []
    print(f"tests: {', '.join(tests) or '- (missing)'}")
    exps = [e.name for e in list_experiments() if args.id in e.items or e.exp_id == args.id]
    print(f"experiments: {', '.join(exps) or '-'}")
    return 0


def _resolve(qualname: str):
    import importlib

    parts = qualname.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p, None)
        return obj
    return None


def _cmd_data(args) -> int:
    from . import data

    if args.data_command == "list":
        for name in data.list():
            i = data.info(name)
            print(f"{name:16s} {'embedded' if i.embedded else 'download':9s} {i.description}")
        return 0
    path = data.fetch(args.name)
    print(f"{args.name}: {path}")
    return 0


_COMMANDS = {"list": _cmd_list, "run": _cmd_run, "check": _cmd_check, "report": _cmd_report,
             "syllabus": _cmd_syllabus, "show": _cmd_show, "data": _cmd_data}
