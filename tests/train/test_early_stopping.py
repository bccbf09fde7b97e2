"""Early stopping on a scripted validation sequence: when it stops, which weights it restores."""
import pytest
import torch
from torch.utils.data import TensorDataset

from deepnotes.train import Callback, EarlyStopping, Trainer


class Snapshots(Callback):
    """The model's weights at the end of every epoch (epoch number -> state dict)."""

    def __init__(self):
        self.states = {}

    def on_epoch_end(self, trainer, logs):
        self.states[logs["epoch"]] = {k: v.clone() for k, v in trainer.model.state_dict().items()}


def _run(sequence, patience, mode="min", epochs=10, **kw):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 4, generator=g), torch.randn(32, 1, generator=g)
    data = TensorDataset(x, y)
    values = iter(sequence)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    snaps = Snapshots()
    stopper = EarlyStopping("val_scripted", mode=mode, patience=patience, **kw)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.nn.functional.mse_loss,
                      data, data, epochs=epochs, batch_size=8, eval_batch_size=32,  # one val batch per epoch
                      metrics={"scripted": lambda out, tgt: next(values)}, callbacks=[snaps, stopper])
    history = trainer.fit()
    return trainer, history, snaps, stopper


def _equal(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.syllabus("foundations.early_stopping")
def test_patience_0_stops_after_epoch_4_and_restores_epoch_3():
    trainer, history, snaps, stopper = _run([1.0, 0.8, 0.7, 0.75, 0.9], patience=0)
    assert len(history) == 4 and trainer.epoch == 4
    assert stopper.best_epoch == 3 and stopper.stopped_epoch == 4 and stopper.best == 0.7
    assert _equal(trainer.model.state_dict(), snaps.states[3])
    assert not _equal(snaps.states[3], snaps.states[4])   # restoring actually changed the weights


@pytest.mark.syllabus("foundations.early_stopping")
def test_patience_1_stops_after_epoch_5():
    trainer, history, snaps, stopper = _run([1.0, 0.8, 0.7, 0.75, 0.9, 0.1], patience=1)
    assert len(history) == 5 and stopper.stopped_epoch == 5
    assert _equal(trainer.model.state_dict(), snaps.states[3])


@pytest.mark.syllabus("foundations.early_stopping")
def test_improvement_resets_patience_and_max_mode():
    # max mode: 0.5, 0.6 (best), 0.55, 0.7 (new best, resets), 0.65, 0.6 -> stop at 6 with patience 1
    trainer, history, snaps, stopper = _run([0.5, 0.6, 0.55, 0.7, 0.65, 0.6, 0.9], patience=1, mode="max")
    assert len(history) == 6 and stopper.best_epoch == 4
    assert _equal(trainer.model.state_dict(), snaps.states[4])


@pytest.mark.syllabus("foundations.early_stopping")
def test_min_delta_threshold_and_max_epochs():
    # 0.95 is not an improvement of more than 0.1 over 1.0: stop at epoch 2, keep epoch 1
    trainer, history, snaps, _ = _run([1.0, 0.95, 0.5], patience=0, min_delta=0.1)
    assert len(history) == 2 and _equal(trainer.model.state_dict(), snaps.states[1])
    # a loss target: stop as soon as the metric reaches 0.3
    _, history, _, stopper = _run([1.0, 0.5, 0.3, 0.2], patience=5, threshold=0.3)
    assert len(history) == 3 and stopper.best_epoch == 3
    # never stalls: runs every epoch, restores the last (best)
    trainer, history, snaps, _ = _run([5, 4, 3, 2, 1], patience=0, epochs=5)
    assert len(history) == 5 and _equal(trainer.model.state_dict(), snaps.states[5])


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(KeyError, match="val_missing"):
        EarlyStopping("val_missing").on_epoch_end(None, {"epoch": 1, "val_loss": 1.0})
