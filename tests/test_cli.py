"""The command line, end to end, on a toy experiment registered for these tests only."""
import json
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch

from deepnotes.cli import main
from deepnotes.experiments import EXPERIMENTS, Bar, Run, experiment, run_experiment


@dataclass
class ToyConfig:
    steps: int = 50
    lr: float = 0.1
    target: float = 3.0


@pytest.fixture
def toy():
    @experiment("toy-mean", chapter="foundations", items=["foundations.mse_loss"],
                bars=[Bar("abs_err", "<=", 1e-3)], quick=dict(steps=3), budget="instant")
    def toy_mean(cfg: ToyConfig, run: Run) -> dict:
        """Fit a constant to a target by gradient descent."""
        w = torch.zeros(())
        for step in range(cfg.steps):
            w = w - cfg.lr * 2 * (w - cfg.target)
            run.log(step=step, w=w)
        fig, ax = plt.subplots()
        ax.plot([r["w"] for r in run.history])
        run.save_figure(fig, "w")
        return {"abs_err": abs(w.item() - cfg.target), "w": w.item()}
    yield "toy-mean"
    EXPERIMENTS.unregister("toy-mean")


def test_list_json_describes_the_experiment(toy, capsys):
    assert main(["list", "--json"]) == 0
    (entry,) = [e for e in json.loads(capsys.readouterr().out) if e["name"] == toy]
    assert entry["bars"] == ["abs_err <= 0.001"] and entry["quick"] == {"steps": 3}


def test_run_writes_the_run_folder_and_passes_its_bar(toy, tmp_path, capsys):
    assert main(["run", toy, "--out", str(tmp_path), "--seed", "1", "--set", "lr=0.2"]) == 0
    assert "PASS" in capsys.readouterr().out
    (run_dir,) = (tmp_path / toy).iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    assert summary["passed"] and summary["seed"] == 1 and config["config"]["lr"] == 0.2
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 50
    assert (run_dir / "figures" / "w.png").read_bytes()[:4] == b"\x89PNG"


def test_failing_bar_gives_exit_status_1(toy, tmp_path):
    assert main(["run", toy, "--out", str(tmp_path), "--set", "steps=2"]) == 1


def test_bad_set_and_unknown_names_are_usage_errors(toy, tmp_path, capsys):
    assert main(["run", toy, "--out", str(tmp_path), "--set", "stepz=3"]) == 2
    err = capsys.readouterr().err
    assert "stepz" in err and "steps, lr, target" in err
    assert main(["run", toy, "--out", str(tmp_path), "--set", "steps=many"]) == 2
    assert "expected int" in capsys.readouterr().err
    assert main(["run", "toy-maen", "--out", str(tmp_path)]) == 2
    assert "did you mean 'toy-mean'" in capsys.readouterr().err
    assert main(["show", "optimization.adamm"]) == 2
    assert not (tmp_path / "toy-mean").exists() or not any((tmp_path / "toy-mean").iterdir())
    with pytest.raises(SystemExit) as e:
        main(["frobnicate"])
    assert e.value.code == 2


def test_check_prints_a_table_and_fails_when_a_bar_fails(toy, tmp_path, capsys):
    assert main(["check", toy, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "abs_err" in out and "PASS" in out and "1 passed, 0 failed" in out
    assert main(["check", toy, "--quick", "--out", str(tmp_path)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_report_writes_index_and_run_pages(toy, tmp_path):
    main(["run", toy, "--out", str(tmp_path)])
    main(["run", toy, "--quick", "--out", str(tmp_path)])
    assert main(["report", str(tmp_path)]) == 0
    index = (tmp_path / "index.html").read_text()
    pages = sorted(tmp_path.rglob("report.html"))
    assert len(pages) == 2 and index.count("report.html") == 2
    page = pages[0].read_text()
    assert "figures/w.png" in page and "abs_err" in page and "../../index.html" in page
    assert main(["report", str(tmp_path / "nothing")]) == 2


def test_syllabus_and_show(toy, capsys):
    assert main(["syllabus", "--chapter", "foundations", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert "toy-mean" in rows["foundations.mse_loss"]["experiments"]
    assert all(r["chapter"] == "foundations" for r in rows.values())
    assert main(["show", "foundations.mse_loss"]) == 0
    out = capsys.readouterr().out
    assert "foundations.mse_loss" in out and "toy-mean" in out


def test_only_rank_zero_writes_into_a_resumed_run_folder(toy, tmp_path, monkeypatch):
    from deepnotes.experiments import run_experiment

    main(["run", toy, "--out", str(tmp_path)])
    (run_dir,) = (tmp_path / toy).iterdir()
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    monkeypatch.setenv("RANK", "1")
    summary = run_experiment(toy, resume=run_dir, verbose=False)
    assert summary["passed"]  # rank 1 computed the same result ...
    after = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert after == before    # ... and left rank 0's folder untouched


def test_runs_use_the_requested_intra_op_threads_and_restore_the_setting(tmp_path):
    import torch

    from deepnotes.experiments import run_experiment

    seen = []

    @experiment("toy-threads", chapter="foundations", items=["foundations.mse_loss"], bars=[])
    def toy_threads(cfg: ToyConfig, run: Run) -> dict:
        seen.append(torch.get_num_threads())
        return {}
    try:
        before = torch.get_num_threads()
        run_experiment("toy-threads", out=tmp_path, verbose=False)
        run_experiment("toy-threads", out=tmp_path, verbose=False, threads=None)
        assert seen == [1, before] and torch.get_num_threads() == before
        with pytest.raises(ValueError, match="threads"):
            run_experiment("toy-threads", out=tmp_path, verbose=False, threads=0)
        assert main(["run", "toy-threads", "--out", str(tmp_path), "--threads", "0"]) == 0
        assert seen[-1] == before
    finally:
        EXPERIMENTS.unregister("toy-threads")


def test_run_log_and_summary_are_strict_json_with_infinite_values(tmp_path):
    """json.loads without NaN/Infinity extensions reads every file; inf is written as "inf"."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    @experiment("toy-infinite", chapter="foundations", items=["foundations.mse_loss"], bars=[])
    def toy_infinite(cfg: ToyConfig, run: Run) -> dict:
        run.log(step=0, loss=math.inf)
        return {"time_to_target": math.inf}
    try:
        s = run_experiment("toy-infinite", out=tmp_path, verbose=False)
    finally:
        EXPERIMENTS.unregister("toy-infinite")
    run_dir = Path(s["dir"])
    rows = [json.loads(line, parse_constant=refuse) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert rows == [{"step": 0, "loss": "inf"}]
    assert json.loads((run_dir / "summary.json").read_text(), parse_constant=refuse)["metrics"] == {"time_to_target": "inf"}
