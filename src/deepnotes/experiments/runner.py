"""Running an experiment: the run folder, metric logging, figures, checkpoints and the verdict.

A run writes ``<out>/<name>/<timestamp>/``::

    config.json      experiment, config, seed, quick, device, overrides
    metrics.jsonl    one JSON object per logged step
    figures/*.png    what the experiment drew
    checkpoint.*     safetensors + JSON (written by the Trainer or the experiment)
    summary.json     final metrics, bar verdicts, wall and CPU time, versions, seed (written last)
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

import torch

from ..core.config import apply_overrides, config_from_dict, config_to_dict
from ..core.device import choose_device
from ..core.errors import ConfigError
from ..core.io import atomic_write, json_line, load_state, read_json, save_state, write_json
from ..core.seed import seed_everything
from .registry import EXPERIMENTS, Experiment

__all__ = ["Run", "run_experiment", "default_out_dir"]


def _rank() -> int:
    """This process's rank under torchrun (0 when not distributed)."""
    return int(os.environ.get("RANK", "0"))


@contextlib.contextmanager
def _intra_op_threads(n: int | None):
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def default_out_dir() -> Path:
    return Path(os.environ.get("DEEPNOTES_RUNS", "runs"))


class Run:
    """What an experiment function receives besides its config.

    Attributes: ``dir`` (the run folder), ``seed``, ``generator`` (a seeded torch.Generator),
    ``device``, ``quick`` (True at the seconds-long budget), ``resumed`` (True under --resume).
    """

    def __init__(self, experiment: Experiment, cfg: Any, dir: Path, seed: int,
                 device: torch.device, quick: bool, resumed: bool = False, verbose: bool = True):
        self.experiment, self.cfg, self.dir = experiment, cfg, Path(dir)
        self.seed, self.device, self.quick, self.resumed, self.verbose = seed, device, quick, resumed, verbose
        self.is_main = _rank() == 0  # under torchrun only rank 0 writes into the run folder
        self.generator = seed_everything(seed)
        self.history: list[dict[str, Any]] = []
        self._metrics_path = self.dir / "metrics.jsonl"
        if resumed and self._metrics_path.exists():
            self.history = [json.loads(l) for l in self._metrics_path.read_text().splitlines() if l.strip()]

    # -- metrics ---------------------------------------------------------------------------
    def log(self, step: int | None = None, **metrics: Any) -> None:
        """Append one line to metrics.jsonl (flushed, so a killed run keeps what it logged)."""
        row: dict[str, Any] = {} if step is None else {"step": int(step)}
        for k, v in metrics.items():
            if isinstance(v, torch.Tensor):
                v = v.item()
            row[k] = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
        self.history.append(row)
        if not self.is_main:
            return
        with open(self._metrics_path, "a") as f:
            f.write(json_line(row) + "\n")
            f.flush()

    def truncate_metrics(self, after_step: int) -> None:
        """Drop logged rows with step > ``after_step`` (a resumed run re-logs them)."""
        self.history = [r for r in self.history if r.get("step", -1) <= after_step]
        if self.is_main:
            atomic_write(self._metrics_path, "".join(json_line(r) + "\n" for r in self.history))

    # -- figures ---------------------------------------------------------------------------
    def save_figure(self, fig: Any, name: str) -> Path:
        """Save a matplotlib figure as figures/NAME.png (atomically) and close it."""
        import matplotlib.pyplot as plt

        path = self.dir / "figures" / f"{name}.png"
        if not self.is_main:
            plt.close(fig)
            return path
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        return atomic_write(path, buf.getvalue())

    # -- checkpoints -----------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.dir / "checkpoint"

    def save_checkpoint(self, state: Any, name: str = "checkpoint") -> Path:
        if self.is_main:
            save_state(self.dir / name, state)
        return self.dir / name

    def load_checkpoint(self, name: str = "checkpoint") -> Any | None:
        path = self.dir / name
        if not path.with_suffix(".json").exists():
            return None
        return load_state(path)

    # -- progress --------------------------------------------------------------------------
    def progress(self, iterable: Iterable | None = None, total: int | None = None,
                 desc: str | None = None, **kw: Any):
        """A tqdm bar on a terminal, silent otherwise."""
        from tqdm.auto import tqdm

        disable = not (self.verbose and sys.stderr.isatty())
        return tqdm(iterable, total=total, desc=desc or self.experiment.name, disable=disable,
                    leave=False, dynamic_ncols=True, **kw)


def _versions() -> dict[str, str]:
    import numpy

    from .. import __version__
    return {"deepnotes": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version(), "platform": platform.platform()}


def _finite_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in metrics.items():
        if isinstance(v, torch.Tensor):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            v = str(v)
        out[k] = v
    return out


def run_experiment(name: str, overrides: Iterable[str] = (), *, quick: bool = False, seed: int = 0,
                   device: str = "auto", out: str | os.PathLike | None = None,
                   resume: str | os.PathLike | None = None, verbose: bool = True,
                   threads: int | None = 1) -> dict[str, Any]:
    """Run experiment ``name`` and return its summary (also written to summary.json).

    ``resume`` names an earlier run folder: its config, seed and budget are reused and the
    experiment continues from that folder's checkpoint. ``threads`` is torch's intra-op thread
    count for the run (restored afterwards; None leaves torch's setting). The default is one: the
    course's models are small, and a second thread mostly adds synchronisation (several times
    slower on a busy 2-core CPU, measured by every chapter); one thread also keeps CPU results
    independent of the machine's core count.
    """
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads: expected a positive int or None, got {threads!r}")
    if resume is not None:
        run_dir = Path(resume)
        saved = read_json(run_dir / "config.json") if (run_dir / "config.json").exists() else None
        if saved is None:
            raise ConfigError(f"--resume: expected a run folder containing config.json, got {str(run_dir)!r}")
        exp = EXPERIMENTS.get(saved["experiment"])
        cfg = config_from_dict(exp.config_cls, saved["config"])
        seed, quick = saved["seed"], saved["quick"]
    else:
        exp = EXPERIMENTS.get(name)
        cfg = apply_overrides(exp.default_config(quick), overrides)
        if _rank() > 0:  # under torchrun only rank 0 writes the run folder
            run_dir = Path(tempfile.mkdtemp(prefix=f"deepnotes-rank{_rank()}-"))
        else:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            run_dir = (Path(out) if out is not None else default_out_dir()) / exp.name / stamp
            run_dir.mkdir(parents=True, exist_ok=False)
    dev = choose_device(device)
    if resume is None:
        write_json(run_dir / "config.json", {"experiment": exp.name, "config": config_to_dict(cfg),
                                             "seed": seed, "quick": quick, "device": str(dev),
                                             "overrides": list(overrides)})
    run = Run(exp, cfg, run_dir, seed, dev, quick, resumed=resume is not None, verbose=verbose)
    t0, c0 = time.perf_counter(), time.process_time()
    status, error = "ok", None
    metrics: dict[str, Any] = {}
    try:
        with _intra_op_threads(threads):
            metrics = exp.fn(cfg, run) or {}
        if not isinstance(metrics, dict):
            raise TypeError(f"experiment {exp.name!r} returned {type(metrics).__name__}, expected a dict of metrics")
    except BaseException as e:
        status, error = "failed", f"{type(e).__name__}: {e}"
        raise
    finally:
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        bars = [{"bar": str(b), "metric": b.metric, "value": _finite_metrics(metrics).get(b.metric),
                 "passed": b.check(metrics)} for b in exp.bars]
        summary = {"experiment": exp.name, "exp_id": exp.exp_id, "chapter": exp.chapter,
                   "status": status, "error": error, "quick": quick, "seed": seed,
                   "device": str(dev), "metrics": _finite_metrics(metrics), "bars": bars,
                   "passed": status == "ok" and all(b["passed"] for b in bars),
                   "wall_time_s": round(wall, 3), "cpu_time_s": round(cpu, 3), "versions": _versions(), "dir": str(run_dir)}
        if _rank() == 0:
            write_json(run_dir / "summary.json", summary)
    return summary
