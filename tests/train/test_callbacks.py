"""MetricLogger writes to the Run and, when torch.utils.tensorboard imports, to a SummaryWriter."""
import sys
import types

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from deepnotes.experiments import EXPERIMENTS, Run
from deepnotes.train import MetricLogger, Trainer


class FakeWriter:
    made = []

    def __init__(self, log_dir, purge_step=None):
        self.log_dir, self.purge_step, self.scalars, self.closed = log_dir, purge_step, [], False
        FakeWriter.made.append(self)

    def add_scalar(self, name, value, step):
        self.scalars.append((name, value, step))

    def close(self):
        self.closed = True


def _fit(run, epochs):
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(24, 3, generator=g), torch.randn(24, 1, generator=g))
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, data, data,
                      epochs=epochs, batch_size=8, run=run, log_every=0)
    trainer.fit()
    return trainer


def test_tensorboard_writer_gets_every_row_and_resume_purges(tmp_path, monkeypatch):
    fake = types.ModuleType("torch.utils.tensorboard")
    fake.SummaryWriter = FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", fake)
    FakeWriter.made.clear()
    exp = EXPERIMENTS.get("digits-mlp")

    def run(resumed):
        return Run(exp, exp.default_config(True), tmp_path, 0, torch.device("cpu"), True, resumed=resumed,
                   verbose=False)

    trainer = _fit(run(False), epochs=2)
    (w,) = FakeWriter.made
    assert w.log_dir == str(tmp_path / "tensorboard") and w.purge_step is None and w.closed
    assert ("train_loss", trainer.history[1]["train_loss"], 6) in w.scalars
    assert {s for _, _, s in w.scalars} == {3, 6}
    assert any(isinstance(cb, MetricLogger) for cb in trainer.callbacks)
    # Resuming a finished 2-epoch run for 3 epochs: events after step 6 are purged, new ones at 9.
    _fit(run(True), epochs=3)
    w2 = FakeWriter.made[1]
    assert w2.purge_step == 7 and {s for _, _, s in w2.scalars} == {9}


def test_no_tensorboard_still_logs_to_run(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)   # import fails
    exp = EXPERIMENTS.get("digits-mlp")
    run = Run(exp, exp.default_config(True), tmp_path, 0, torch.device("cpu"), True, verbose=False)
    trainer = _fit(run, epochs=2)
    assert [r["epoch"] for r in run.history] == [1, 2]
    assert run.history[-1]["val_loss"] == trainer.history[-1]["val_loss"]
    assert not (tmp_path / "tensorboard").exists()
