"""The experiment registry: each experiment is a function, a config dataclass, the syllabus ids
it exercises and the bar it must reach.

    @experiment("digits-cnn", chapter="cnn", exp_id="exp.cnn.cnn_vs_mlp_pooling",
                items=["cnn.conv2d"], bars=[Bar("test_acc", ">=", 0.98)],
                quick=dict(epochs=1), budget="~60 s on 2 CPU cores")
    def digits_cnn(cfg: DigitsCNNConfig, run: Run) -> dict[str, float]:
        ...
        return {"test_acc": acc}

The function returns its final metrics; the runner compares them with the bars.
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import operator
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.errors import ConfigError
from ..core.registry import Registry
from ..core.syllabus import item

__all__ = ["Bar", "Experiment", "experiment", "EXPERIMENTS"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


@dataclass(frozen=True)
class Bar:
    """A threshold a final metric must reach: ``Bar("test_acc", ">=", 0.98)``."""

    metric: str
    op: str
    threshold: float
    note: str = ""

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"Bar.op: expected one of {list(_OPS)}, got {self.op!r}")

    def check(self, metrics: dict[str, Any]) -> bool:
        value = metrics.get(self.metric)
        if value is None or isinstance(value, str):
            return False
        value = float(value)
        return math.isfinite(value) and _OPS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass
class Experiment:
    name: str
    chapter: str
    fn: Callable[..., dict]
    config_cls: type
    items: list[str]
    bars: list[Bar]
    quick: dict[str, Any] = field(default_factory=dict)
    exp_id: str | None = None
    budget: str = ""
    title: str = ""

    def default_config(self, quick: bool = False) -> Any:
        cfg = self.config_cls()
        if quick:
            cfg = dataclasses.replace(cfg, **self.quick)
        return cfg

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "chapter": self.chapter, "exp_id": self.exp_id,
                "title": self.title, "items": list(self.items), "bars": [str(b) for b in self.bars],
                "quick": dict(self.quick), "budget": self.budget}


EXPERIMENTS: Registry[Experiment] = Registry("experiment")


def experiment(name: str, *, chapter: str, items: list[str], bars: list[Bar],
               quick: dict[str, Any] | None = None, exp_id: str | None = None,
               budget: str = "", config: type | None = None) -> Callable:
    """Register ``fn(cfg, run) -> metrics`` as experiment ``name``.

    ``config`` defaults to the annotation of ``fn``'s first parameter; ``quick`` holds the field
    values of the seconds-long budget the test suite runs.
    """
    for i in items:
        item(i)
    if exp_id is not None:
        item(exp_id)

    def register(fn: Callable) -> Callable:
        cfg_cls = config
        if cfg_cls is None:
            first = next(iter(inspect.signature(fn).parameters))
            cfg_cls = typing.get_type_hints(fn).get(first)
        if cfg_cls is None or not dataclasses.is_dataclass(cfg_cls):
            raise TypeError(f"experiment {name!r}: the config must be a dataclass, got {cfg_cls!r}")
        names = {f.name for f in dataclasses.fields(cfg_cls)}
        unknown = set(quick or {}) - names
        if unknown:
            raise ConfigError(f"experiment {name!r}: quick sets unknown keys {sorted(unknown)}")
        title = (inspect.getdoc(fn) or "").split("\n")[0]
        EXPERIMENTS.register(name, Experiment(name, chapter, fn, cfg_cls, list(items), list(bars),
                                              dict(quick or {}), exp_id, budget, title))
        fn.experiment_name = name
        return fn
    return register
