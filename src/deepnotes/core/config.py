"""Dataclass configs with validated ``--set a.b=value`` overrides.

An experiment's config is a (possibly nested) dataclass. :func:`apply_overrides` parses each
``key=value`` against the field's annotated type and refuses unknown keys and bad values with a
message naming the key, the valid keys, the expected type and what was given.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Iterable

from .errors import ConfigError

__all__ = ["apply_overrides", "config_to_dict", "config_from_dict", "parse_value"]


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls)}


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def parse_value(key: str, text: str, tp: Any) -> Any:
    """Parse ``text`` as type ``tp`` (bool, int, float, str, Literal, Optional, list/tuple)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    bad = ConfigError(f"--set {key}: expected {_type_name(tp)}, got {text!r}")
    if tp is Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and text.lower() in ("none", "null"):
            return None
        for a in args:
            if a is type(None):
                continue
            try:
                return parse_value(key, text, a)
            except ConfigError:
                pass
        raise bad
    if origin is typing.Literal:
        for a in args:
            if str(a) == text:
                return a
        raise ConfigError(f"--set {key}: expected one of {list(args)}, got {text!r}")
    if tp is bool:
        low = text.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise bad
    if tp is int:
        try:
            return int(text)
        except ValueError:
            raise bad from None
    if tp is float:
        try:
            return float(text)
        except ValueError:
            raise bad from None
    if tp is str:
        return text
    if origin in (list, tuple) or tp in (list, tuple):
        try:
            items = json.loads(text if text.startswith("[") else f"[{text}]")
        except json.JSONDecodeError:
            items = [t.strip() for t in text.strip("[]").split(",") if t.strip()]
        inner = args[0] if args else Any
        vals = [parse_value(key, json.dumps(v) if not isinstance(v, str) else v, inner) for v in items]
        return tuple(vals) if (origin or tp) is tuple else vals
    raise bad


def apply_overrides(cfg: Any, overrides: Iterable[str]) -> Any:
    """Return a copy of dataclass ``cfg`` with each ``"a.b=value"`` applied and type-checked."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set: expected key=value, got {item!r}")
        key, text = item.split("=", 1)
        cfg = _set(cfg, key.strip().split("."), text.strip(), key.strip())
    return cfg


def _set(obj: Any, path: list[str], text: str, full: str) -> Any:
    if not dataclasses.is_dataclass(obj):
        raise ConfigError(f"--set {full}: {'.'.join(path)} is not a config section")
    types_ = _field_types(type(obj))
    head = path[0]
    if head not in types_:
        raise ConfigError(f"--set {full}: unknown key {head!r}; valid keys: {', '.join(types_)}")
    current = getattr(obj, head)
    if len(path) > 1:
        return dataclasses.replace(obj, **{head: _set(current, path[1:], text, full)})
    if dataclasses.is_dataclass(current):
        raise ConfigError(f"--set {full}: {head!r} is a section; set one of its keys "
                          f"({', '.join(_field_types(type(current)))})")
    value = parse_value(full, text, types_[head])
    try:
        return dataclasses.replace(obj, **{head: value})
    except (ValueError, TypeError) as e:  # __post_init__ validation
        raise ConfigError(f"--set {full}: {e}") from None


def config_to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def config_from_dict(cls: type, data: dict) -> Any:
    """Build ``cls`` from a dict such as ``config.json``; unknown keys are an error."""
    types_ = _field_types(cls)
    unknown = set(data) - set(types_)
    if unknown:
        raise ConfigError(f"config: unknown keys {sorted(unknown)}; valid keys: {', '.join(types_)}")
    kwargs = {}
    for k, v in data.items():
        tp = types_[k]
        if dataclasses.is_dataclass(tp) and isinstance(v, dict):
            v = config_from_dict(tp, v)
        elif typing.get_origin(tp) is tuple and isinstance(v, list):
            v = tuple(v)
        kwargs[k] = v
    return cls(**kwargs)
