import json
import math

import pytest
import torch

from deepnotes.core import CheckpointError, atomic_write, load_state, save_state
from deepnotes.core.seed import rng_state, seed_everything, set_rng_state


def test_atomic_write_replaces_whole_file_and_cleans_up_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic_write(target, "old")

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]  # no temp file left behind


def test_state_round_trip_keeps_structure_types_and_values(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    state = {"model": model.state_dict(), "optim": opt.state_dict(), "step": 7,
             "pair": (1, "a"), "best": float("inf"), "nested": [{"x": torch.arange(3)}], "none": None}
    save_state(tmp_path / "ckpt", state)
    back = load_state(tmp_path / "ckpt")
    assert back["step"] == 7 and back["pair"] == (1, "a") and math.isinf(back["best"]) and back["none"] is None
    assert torch.equal(back["nested"][0]["x"], torch.arange(3))
    for k, v in model.state_dict().items():
        assert torch.equal(back["model"][k], v)
    opt2 = torch.optim.Adam(model.parameters())
    opt2.load_state_dict(back["optim"])  # integer param ids and nested tensors restored
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_truncated_or_corrupt_checkpoint_is_a_clear_error(tmp_path):
    save_state(tmp_path / "c", {"w": torch.randn(100)})
    st = tmp_path / "c.safetensors"
    st.write_bytes(st.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        load_state(tmp_path / "c")
    save_state(tmp_path / "d", {"w": torch.randn(5)})
    (tmp_path / "d.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_state(tmp_path / "d")
    with pytest.raises(CheckpointError, match="expected"):
        load_state(tmp_path / "missing")


def test_checkpoint_files_are_not_pickles(tmp_path):
    save_state(tmp_path / "c", {"w": torch.randn(3), "meta": {"a": 1}})
    json.loads((tmp_path / "c.json").read_text())  # plain JSON
    assert not (tmp_path / "c.safetensors").read_bytes().startswith(b"\x80")  # no pickle protocol header


def test_same_seed_same_numbers_and_rng_state_round_trip(tmp_path):
    seed_everything(3)
    a = torch.rand(5)
    seed_everything(3)
    assert torch.equal(a, torch.rand(5))
    save_state(tmp_path / "rng", rng_state())
    expected = torch.rand(4)
    set_rng_state(load_state(tmp_path / "rng"))
    assert torch.equal(torch.rand(4), expected)
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)


def _strict_loads(text):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_outputs_are_strict_json_with_non_finite_values_as_strings(tmp_path):
    import numpy as np

    from deepnotes.core.io import json_line, write_json
    obj = {"inf": float("inf"), "nan": np.float64("nan"), "neg": -math.inf, "t": torch.tensor([1.5, math.inf]), "x": 2}
    expected = {"inf": "inf", "nan": "nan", "neg": "-inf", "t": [1.5, "inf"], "x": 2}
    assert _strict_loads(json_line(obj)) == expected and "\n" not in json_line(obj)
    write_json(tmp_path / "a.json", obj)
    assert _strict_loads((tmp_path / "a.json").read_text()) == expected

