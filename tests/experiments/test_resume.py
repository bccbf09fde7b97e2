"""`deepnotes run ... --resume` after SIGKILL ends with exactly the numbers of an uninterrupted run.

Each run is a real subprocess of ``python -m deepnotes``; the one to be killed is polled until its
third checkpoint appears and then killed with SIGKILL (no chance to clean up).
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["run", "digits-mlp", "--quick", "--seed", "3", "--set", "epochs=25", "--set", "patience=4"]
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONHASHSEED="0")


def _deepnotes(*args):
    return subprocess.Popen([sys.executable, "-m", "deepnotes", *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_dir(out: Path) -> Path:
    (folder,) = (out / "digits-mlp").iterdir()
    return folder


def _rows(folder: Path):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.syllabus("training.training_loop")
def test_sigkill_then_resume_is_bit_for_bit(tmp_path):
    full_out, killed_out = tmp_path / "full", tmp_path / "killed"
    full = _deepnotes(*ARGS, "--out", str(full_out))
    victim = _deepnotes(*ARGS, "--out", str(killed_out))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if list(killed_out.glob("digits-mlp/*/checkpoints/epoch-00003.json")) or victim.poll() is not None:
            break
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    folder = _run_dir(killed_out)
    assert not (folder / "summary.json").exists()
    epochs_done = [int(p.stem.split("-")[1]) for p in (folder / "checkpoints").glob("epoch-*.json")]
    assert 3 <= max(epochs_done) < 25

    resumed = _deepnotes("run", "--resume", str(folder))
    out, err = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, err
    full_stdout, full_err = full.communicate(timeout=180)
    assert full.returncode == 0, full_err
    reference = _run_dir(full_out)

    a = json.loads((reference / "summary.json").read_text())
    b = json.loads((folder / "summary.json").read_text())
    assert a["metrics"] == b["metrics"]                    # exact float equality through JSON
    assert _rows(reference) == _rows(folder)               # every logged row, no duplicates
    # Final weights (and optimizer, RNG, early-stopping state) are the same bytes.
    from safetensors.torch import load_file
    ta, tb = load_file(reference / "checkpoint.safetensors"), load_file(folder / "checkpoint.safetensors")
    assert ta.keys() == tb.keys() and any(k.startswith("/model/") for k in ta)
    assert all((ta[k] == tb[k]).all() for k in ta)
    assert (reference / "checkpoint.safetensors").read_bytes() == (folder / "checkpoint.safetensors").read_bytes()


def test_nan_loss_stops_with_step_and_last_finite_loss(tmp_path, capsys):
    from deepnotes.cli import main

    assert main(["run", "digits-mlp", "--quick", "--set", "lr=1e30", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "loss became nan at step" in err or "loss became inf at step" in err
    assert "last finite loss was" in err


def test_bad_set_key_exits_2_and_lists_valid_keys(tmp_path, capsys):
    from deepnotes.cli import main

    assert main(["run", "digits-mlp", "--quick", "--set", "hiden=64", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "hiden" in err and "valid keys" in err
    for key in ("hidden", "epochs", "batch_size", "lr", "patience"):
        assert key in err
