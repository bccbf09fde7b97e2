"""Safe IO: atomic writes, JSON, and nested states saved as safetensors + JSON (never pickle).

A write goes to a temporary file in the target's folder, is flushed and fsync'ed, then renamed
over the target: a reader sees the old file or the new one, never half of one.

A *state* is any nesting of dicts, lists and tuples whose leaves are tensors, numbers, strings,
booleans or None (a model's ``state_dict``, an optimizer's, RNG states). :func:`save_state`
stores the tensors in ``NAME.safetensors`` and the rest in ``NAME.json`` with a pointer per tensor.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import CheckpointError

__all__ = ["atomic_write", "write_json", "json_line", "read_json", "save_state", "load_state"]


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else str(f)
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, torch.Tensor):
        return _jsonable(obj.detach().cpu().tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Atomically write ``obj`` as indented JSON (NumPy/torch scalars and arrays converted)."""
    return atomic_write(path, json.dumps(_jsonable(obj), indent=2, sort_keys=False, allow_nan=False) + "\n")


def json_line(obj: Any) -> str:
    """``obj`` as one line of strict JSON: NaN and infinities become the strings "nan", "inf", "-inf"."""
    return json.dumps(_jsonable(obj), allow_nan=False)


def read_json(path: str | os.PathLike) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path}: expected valid JSON, got a corrupt file ({e})") from None


_TENSOR = "__tensor__"
_TUPLE = "__tuple__"
_NDARRAY = "__ndarray__"


def _split(obj: Any, tensors: dict[str, torch.Tensor], prefix: str) -> Any:
    if isinstance(obj, torch.Tensor):
        key = prefix or "root"
        tensors[key] = obj.detach().cpu().contiguous()
        return {_TENSOR: key}
    if isinstance(obj, np.ndarray):
        key = prefix or "root"
        tensors[key] = torch.from_numpy(np.ascontiguousarray(obj))
        return {_NDARRAY: key}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise TypeError(f"state: expected str or int keys, got {type(k).__name__} key {k!r}")
            tag = f"i:{k}" if isinstance(k, int) else f"s:{k}"
            out[tag] = _split(v, tensors, f"{prefix}/{k}")
        return out
    if isinstance(obj, (list, tuple)):
        items = [_split(v, tensors, f"{prefix}/{i}") for i, v in enumerate(obj)]
        return {_TUPLE: items} if isinstance(obj, tuple) else items
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        if isinstance(obj, float) and not math.isfinite(obj):
            return {"__float__": str(obj)}
        return obj
    raise TypeError(f"state: expected tensors, numbers, strings, lists or dicts, got {type(obj).__name__}")


def _join(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if _TENSOR in obj:
            return tensors[obj[_TENSOR]].clone()
        if _NDARRAY in obj:
            return tensors[obj[_NDARRAY]].numpy().copy()
        if _TUPLE in obj:
            return tuple(_join(v, tensors) for v in obj[_TUPLE])
        if "__float__" in obj:
            return float(obj["__float__"])
        out = {}
        for tag, v in obj.items():
            kind, key = tag[:2], tag[2:]
            out[int(key) if kind == "i:" else key] = _join(v, tensors)
        return out
    if isinstance(obj, list):
        return [_join(v, tensors) for v in obj]
    return obj


def save_state(path: str | os.PathLike, state: Any) -> tuple[Path, Path]:
    """Save a nested ``state`` as ``path.safetensors`` + ``path.json``, each written atomically.

    The JSON, written last, names the tensor file's byte size: a reader that finds the JSON
    knows the tensors beside it are complete.
    """
    from safetensors.torch import save

    path = Path(path)
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _split(state, tensors, "")
    blob = save(tensors) if tensors else save({"__empty__": torch.zeros(0)})
    st = atomic_write(path.with_suffix(".safetensors"), blob)
    js = write_json(path.with_suffix(".json"), {"format": "deepnotes-state/1",
                                                "tensor_bytes": len(blob), "state": skeleton})
    return st, js


def load_state(path: str | os.PathLike) -> Any:
    """Load what :func:`save_state` wrote; a missing, truncated or corrupt pair is a CheckpointError."""
    from safetensors.torch import load

    path = Path(path)
    js, st = path.with_suffix(".json"), path.with_suffix(".safetensors")
    if not js.exists() or not st.exists():
        raise CheckpointError(f"checkpoint: expected {js.name} and {st.name} in {path.parent}, "
                              f"got {'neither' if not (js.exists() or st.exists()) else 'only one'}")
    meta = read_json(js)
    if not isinstance(meta, dict) or meta.get("format") != "deepnotes-state/1":
        raise CheckpointError(f"checkpoint: expected a deepnotes-state/1 file, got {js}")
    blob = st.read_bytes()
    if len(blob) != meta["tensor_bytes"]:
        raise CheckpointError(f"checkpoint: expected {meta['tensor_bytes']} bytes in {st}, "
                              f"got {len(blob)} (truncated or replaced)")
    try:
        tensors = load(blob)
    except Exception as e:  # safetensors raises its own error types
        raise CheckpointError(f"checkpoint: {st} is corrupt ({e})") from None
    return _join(meta["state"], tensors)
