"""Every registered experiment runs at --quick and writes a complete run folder."""
import json
import math

import pytest

from deepnotes.experiments import EXPERIMENTS, run_experiment


@pytest.mark.parametrize("name", EXPERIMENTS.names())
def test_experiment_runs_quick(name, tmp_path):
    summary = run_experiment(name, quick=True, seed=0, device="cpu", out=tmp_path, verbose=False)
    run_dir = tmp_path / name
    (folder,) = run_dir.iterdir()
    assert summary["status"] == "ok"
    assert json.loads((folder / "summary.json").read_text())["experiment"] == name
    assert json.loads((folder / "config.json").read_text())["quick"] is True
    for bar in EXPERIMENTS.get(name).bars:
        value = summary["metrics"].get(bar.metric)
        assert isinstance(value, (int, float)) and math.isfinite(value), f"{bar.metric} missing or not finite"
    assert list((folder / "figures").glob("*.png")), "each experiment draws at least one figure"
