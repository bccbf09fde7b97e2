"""The syllabus ids that tie code, tests and experiments together.

``@syllabus("optimization.adam")`` on a class or function (or ``SYLLABUS = [...]`` at module
level) says that object implements the item; tests carry ``@pytest.mark.syllabus(...)``; each
experiment lists the items it exercises. :func:`coverage` gathers all three for
``deepnotes syllabus`` and ``deepnotes show``.
"""
from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

from .errors import UnknownNameError

__all__ = ["syllabus", "table", "item", "items", "carriers", "coverage", "ItemCoverage",
           "import_all", "find_test_markers"]

T = TypeVar("T")
_CARRIERS: dict[str, list[Any]] = {}


@functools.lru_cache(maxsize=1)
def table() -> dict:
    """The project's table of syllabus ids: {'items': [...], 'experiments': [...]}."""
    return json.loads((Path(__file__).with_name("syllabus_table.json")).read_text())


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, dict]:
    t = table()
    return {e["id"]: e for e in t["items"]} | {e["id"]: e for e in t["experiments"]}


def item(id: str) -> dict:
    """One syllabus entry (item or experiment) by id; unknown ids suggest close matches."""
    try:
        return _index()[id]
    except KeyError:
        raise UnknownNameError("syllabus id", id, _index()) from None


def items(chapter: str | None = None) -> list[dict]:
    its = table()["items"]
    if chapter is not None:
        chapters = sorted({i["chapter"] for i in its})
        if chapter not in chapters:
            raise UnknownNameError("chapter", chapter, chapters)
        its = [i for i in its if i["chapter"] == chapter]
    return its


def syllabus(*ids: str) -> Callable[[T], T]:
    """Mark a class or function as the implementation of syllabus ``ids``."""
    for i in ids:
        item(i)  # fail at import time on a typo

    def mark(obj: T) -> T:
        existing = tuple(getattr(obj, "__syllabus__", ()))
        obj.__syllabus__ = existing + tuple(i for i in ids if i not in existing)
        for i in ids:
            _CARRIERS.setdefault(i, [])
            if obj not in _CARRIERS[i]:
                _CARRIERS[i].append(obj)
        return obj
    return mark


def _qualname(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    return f"{obj.__module__}.{getattr(obj, '__qualname__', getattr(obj, '__name__', repr(obj)))}"


def import_all(package: str = "deepnotes") -> dict[str, str]:
    """Import every deepnotes module (so decorators run); return {module: error} for failures."""
    errors: dict[str, str] = {}
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.", onerror=lambda n: None):
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as e:  # an optional dependency may be absent
            errors[info.name] = f"{type(e).__name__}: {e}"
            continue
        for i in getattr(module, "SYLLABUS", ()):
            item(i)
            _CARRIERS.setdefault(i, [])
            if module.__name__ not in _CARRIERS[i]:
                _CARRIERS[i].append(module.__name__)
    return errors


def carriers() -> dict[str, list[str]]:
    """{syllabus id: qualified names of the code carrying it} (after :func:`import_all`)."""
    return {k: [_qualname(o) for o in v] for k, v in _CARRIERS.items()}


_MARK = re.compile(r"mark\.syllabus\(([^)]*)\)", re.S)
_STR = re.compile(r"""["']([a-z_]+\.[a-z0-9_]+)["']""")
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(test\w*)|^\s*class\s+(Test\w*)", re.M)


def find_test_markers(root: Path) -> dict[str, list[str]]:
    """{syllabus id: ['tests/x/test_y.py::test_name', ...]} from ``pytest.mark.syllabus`` marks."""
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("test_*.py")):
        text = path.read_text(errors="replace")
        rel = path.relative_to(root.parent).as_posix()
        for m in _MARK.finditer(text):
            d = _DEF.search(text, m.end())
            where = f"{rel}::{(d.group(1) or d.group(2))}" if d else rel
            for i in _STR.findall(m.group(1)):
                out.setdefault(i, [])
                if where not in out[i]:
                    out[i].append(where)
    return out


def tests_root() -> Path | None:
    """The repository's tests/ folder when deepnotes runs from a checkout, else None."""
    here = Path(__file__).resolve()
    for cand in (here.parents[3] / "tests", Path.cwd() / "tests"):
        if cand.is_dir():
            return cand
    return None


@dataclass
class ItemCoverage:
    id: str
    chapter: str
    name: str
    code: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [k for k in ("code", "tests") if not getattr(self, k)]


def coverage(chapter: str | None = None) -> list[ItemCoverage]:
    """Every syllabus item of ``chapter`` with the code, tests and experiments that carry it."""
    import_all()
    from ..experiments import registry as exp_registry

    code = carriers()
    root = tests_root()
    tests = find_test_markers(root) if root else {}
    exps: dict[str, list[str]] = {}
    for name, exp in exp_registry.EXPERIMENTS.items():
        for i in exp.items:
            exps.setdefault(i, []).append(name)
    return [ItemCoverage(i["id"], i["chapter"], i["name"], code.get(i["id"], []),
                         tests.get(i["id"], []), exps.get(i["id"], [])) for i in items(chapter)]
