"""Rotating checkpoints: atomic pairs, keep-last-K, and clear errors for damaged files."""
import json

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from deepnotes.core import CheckpointError
from deepnotes.experiments import EXPERIMENTS, Run
from deepnotes.train import CheckpointManager, Trainer


def _state(v=1.0):
    return {"model": {"w": torch.full((3, 2), v)}, "epoch": 1, "note": "x"}


def test_keep_last_rotates_and_latest_loads(tmp_path):
    ckpt = CheckpointManager(tmp_path, keep_last=2)
    assert ckpt.latest() is None and ckpt.load_latest() is None
    for e in range(1, 5):
        ckpt.save(_state(float(e)), e)
    assert ckpt.epochs() == [3, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "epoch-00003.json", "epoch-00003.safetensors", "epoch-00004.json", "epoch-00004.safetensors"]
    assert torch.equal(ckpt.load_latest()["model"]["w"], torch.full((3, 2), 4.0))
    assert not list(tmp_path.glob("*.tmp"))          # atomic writes leave no temporaries
    with pytest.raises(ValueError, match="keep_last"):
        CheckpointManager(tmp_path, keep_last=0)


def test_truncated_tensor_file_is_a_checkpoint_error(tmp_path):
    ckpt = CheckpointManager(tmp_path)
    path = ckpt.save(_state(), 1)
    st = path.with_suffix(".safetensors")
    st.write_bytes(st.read_bytes()[:-7])
    with pytest.raises(CheckpointError, match="truncated"):
        ckpt.load_latest()


def test_corrupt_files_are_checkpoint_errors(tmp_path):
    ckpt = CheckpointManager(tmp_path)
    path = ckpt.save(_state(), 1)
    js, st = path.with_suffix(".json"), path.with_suffix(".safetensors")
    good_json, good_st = js.read_text(), st.read_bytes()
    js.write_text(good_json[: len(good_json) // 2])                  # half a JSON file
    with pytest.raises(CheckpointError, match="JSON"):
        ckpt.load_latest()
    js.write_text(good_json)
    st.write_bytes(b"\x00" * len(good_st))                            # same size, garbage inside
    with pytest.raises(CheckpointError, match="corrupt"):
        ckpt.load_latest()
    st.unlink()                                                       # a lone JSON
    with pytest.raises(CheckpointError, match="only one"):
        ckpt.load_latest()
    ckpt.save({"epoch": 1}, 2)                                        # not a Trainer state
    with pytest.raises(CheckpointError, match="model"):
        ckpt.load_latest()


def test_never_unpickles(tmp_path):
    """A pickle planted where the tensors belong is refused, not executed."""
    import pickle

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))

    ckpt = CheckpointManager(tmp_path)
    path = ckpt.save(_state(), 1)
    payload = pickle.dumps(Boom())
    path.with_suffix(".safetensors").write_bytes(payload)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["tensor_bytes"] = len(payload)
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError):
        ckpt.load_latest()


def _run(tmp_path, resumed=False):
    exp = EXPERIMENTS.get("digits-mlp")
    return Run(exp, exp.default_config(quick=True), tmp_path, seed=0, device=torch.device("cpu"),
               quick=True, resumed=resumed, verbose=False)


def _trainer(run, epochs):
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(40, 3, generator=g), torch.randn(40, 1, generator=g))
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    return Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, data, data,
                   epochs=epochs, batch_size=8, run=run, log_every=2, tensorboard=False)


def test_run_logging_checkpoints_and_resume_truncation(tmp_path):
    run = _run(tmp_path)
    trainer = _trainer(run, epochs=3)
    trainer.fit()
    rows = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    epoch_rows = [r for r in rows if "epoch" in r]
    assert [r["step"] for r in epoch_rows] == [5, 10, 15]
    assert [r["step"] for r in rows if "batch_loss" in r] == [2, 4, 6, 8, 10, 12, 14]
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("*.json")) == [
        "epoch-00001.json", "epoch-00002.json", "epoch-00003.json"]
    assert (tmp_path / "checkpoint.json").exists()       # the final state beside the run files
    # Pretend the run died after epoch 3's rows but before its checkpoint: drop that checkpoint.
    for suffix in (".json", ".safetensors"):
        (tmp_path / "checkpoints" / f"epoch-00003{suffix}").unlink()
    resumed = _trainer(_run(tmp_path, resumed=True), epochs=3)
    resumed.fit()
    again = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert again == rows                                  # no duplicated or missing rows
    for a, b in zip(trainer.model.parameters(), resumed.model.parameters()):
        assert torch.equal(a, b)
