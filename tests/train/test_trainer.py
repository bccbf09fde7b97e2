"""The Trainer's loop: it learns, it repeats itself under a seed, it resumes exactly, it guards."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, TensorDataset

from deepnotes.core import NonFiniteLossError
from deepnotes.train import Callback, Trainer, epoch_batches


def _blobs(n=120, seed=0):
    """Two well-separated Gaussian blobs in 2-D: a linearly separable problem."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) * 0.5 + (y[:, None] * 2 - 1) * 2.0
    return TensorDataset(x, y)


def _net(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                               torch.nn.Linear(16, 2))


def _acc(out, y):
    return (out.argmax(1) == y).float().mean()


def _trainer(model, epochs=5, lr=0.05, **kw):
    data = kw.pop("data", _blobs())
    opt = kw.pop("opt", None) or torch.optim.Adam(model.parameters(), lr=lr)
    return Trainer(model, opt, F.cross_entropy, data, _blobs(60, seed=1), epochs=epochs, batch_size=16,
                   metrics={"acc": _acc}, seed=3, **kw)


@pytest.mark.syllabus("training.training_loop")
def test_loss_decreases_on_a_separable_problem():
    trainer = _trainer(_net(), epochs=8)
    history = trainer.fit()
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < 0.1 * losses[0]
    assert history[-1]["val_acc"] == 1.0
    assert trainer.step == 8 * math.ceil(120 / 16) and trainer.epoch == 8
    assert set(history[0]) == {"epoch", "train_loss", "val_loss", "val_acc", "lr"}


@pytest.mark.syllabus("training.training_loop")
def test_same_seed_identical_curves_other_seed_different():
    h1 = _trainer(_net(0, dropout=0.3)).fit()
    h2 = _trainer(_net(0, dropout=0.3)).fit()
    assert h1 == h2                      # exact float equality of every logged number
    h3 = _trainer(_net(1, dropout=0.3)).fit()
    assert h3 != h1


@pytest.mark.syllabus("training.training_loop")
def test_trainer_equals_a_bare_torch_loop():
    """The loop does exactly: shuffled batches, forward, loss, backward, step; nothing else."""
    a, b = _net(0), _net(0)
    data = _blobs()
    _trainer(a, epochs=3, opt=torch.optim.SGD(a.parameters(), lr=0.1, momentum=0.9), data=data).fit()
    opt = torch.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    x, y = data.tensors
    for epoch in range(3):
        for idx in epoch_batches(len(x), 16, seed=3, epoch=epoch):
            opt.zero_grad()
            F.cross_entropy(b(x[idx]), y[idx]).backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


@pytest.mark.syllabus("training.training_loop")
def test_checkpoint_reload_gives_identical_outputs(tmp_path):
    trainer = _trainer(_net(0), epochs=3, checkpoint_dir=tmp_path)
    trainer.fit()
    fresh = _trainer(_net(7), epochs=3, checkpoint_dir=tmp_path)
    fresh.load_state_dict(trainer.checkpoints.load_latest())
    x = torch.randn(50, 2)
    trainer.model.eval(), fresh.model.eval()
    assert torch.equal(trainer.model(x), fresh.model(x))
    assert fresh.epoch == 3 and fresh.step == trainer.step and fresh.history == trainer.history
    # optimizer moments came back too
    sa, sb = trainer.optimizer.state_dict()["state"], fresh.optimizer.state_dict()["state"]
    assert all(torch.equal(sa[k]["exp_avg_sq"], sb[k]["exp_avg_sq"]) for k in sa)


class _Crash(Exception):
    pass


class _CrashAt(Callback):
    """Simulates a kill: raises at the start of ``epoch`` (after the previous checkpoint)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_start(self, trainer, epoch):
        if epoch == self.epoch:
            raise _Crash


@pytest.mark.syllabus("training.training_loop")
def test_resume_from_mid_run_checkpoint_is_bit_for_bit(tmp_path):
    """Dropout (global RNG), a per-step LR schedule and Adam state all continue exactly."""
    def make(model_seed, folder, crash=None):
        model = _net(model_seed, dropout=0.3)
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.7)
        cbs = [_CrashAt(crash)] if crash is not None else []
        return _trainer(model, epochs=6, opt=opt, scheduler=sched, scheduler_interval="step",
                        checkpoint_dir=folder, keep_last=2, callbacks=cbs)

    full = make(0, tmp_path / "a")
    full_history = full.fit()
    full_rng = torch.get_rng_state()
    torch.manual_seed(0)
    crashed = make(0, tmp_path / "b", crash=3)
    with pytest.raises(_Crash):
        crashed.fit()
    assert crashed.checkpoints.epochs() == [2, 3]          # keep_last=2 rotated the oldest away
    torch.manual_seed(123)                                   # the global RNG is elsewhere now
    resumed = make(99, tmp_path / "b")                      # different init: must be overwritten
    resumed.resume = True
    assert resumed.fit() == full_history
    for pa, pb in zip(full.model.parameters(), resumed.model.parameters()):
        assert torch.equal(pa, pb)
    assert resumed.scheduler.state_dict() == full.scheduler.state_dict()
    assert torch.equal(torch.get_rng_state(), full_rng)     # the global RNG ends where it ended


class _ScriptedLoss:
    """Cross-entropy, except that call number ``bad`` (1-based) returns ``value``."""

    def __init__(self, bad, value):
        self.bad, self.value, self.calls, self.seen = bad, value, 0, []

    def __call__(self, out, y):
        self.calls += 1
        loss = F.cross_entropy(out, y)
        if self.calls == self.bad:
            loss = loss * self.value
        self.seen.append(loss.item())
        return loss


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_loss_stops_with_step_and_last_finite(value):
    model = _net(0)
    loss_fn = _ScriptedLoss(bad=11, value=value)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, _blobs(), epochs=3,
                      batch_size=16, log_every=4)
    with pytest.raises(NonFiniteLossError) as info:
        trainer.fit()
    err = info.value
    assert err.step == 11 and (math.isnan(err.value) if math.isnan(value) else err.value == value)
    assert err.last_finite == loss_fn.seen[9]           # the loss of step 10, exactly
    assert "step 11" in str(err)


def test_scheduler_stepping_per_epoch_and_per_step():
    model = _net(0)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = _trainer(model, epochs=3, opt=opt, scheduler=sched).fit()
    assert [h["lr"] for h in history] == [1.0, 0.5, 0.25]        # the lr each epoch trained with
    model = _net(0)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))
    trainer = _trainer(model, epochs=2, opt=opt, scheduler=sched, scheduler_interval="step")
    trainer.fit()
    assert sched.last_epoch == trainer.step == 16
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 / 17)


def test_callbacks_see_every_step_and_grads_before_the_update():
    class Probe(Callback):
        def __init__(self):
            self.steps, self.grad_norms = [], []

        def on_before_optimizer_step(self, trainer):
            self.grad_norms.append(sum(p.grad.norm() ** 2 for p in trainer.model.parameters()).sqrt())

        def on_batch_end(self, trainer, step, loss):
            self.steps.append(step)
            assert loss.requires_grad is False

    probe = Probe()
    trainer = _trainer(_net(0), epochs=2, callbacks=[probe], grad_clip_norm=0.01)
    trainer.fit()
    assert probe.steps == list(range(1, 17))
    assert max(g.item() for g in probe.grad_norms) <= 0.01 + 1e-6   # clipped before the step


class _ListDataset(Dataset):
    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        return self.base[i]


def test_generic_dataset_equals_tensor_dataset():
    data = _blobs()
    a = _trainer(_net(0), epochs=2, data=data).fit()
    b = _trainer(_net(0), epochs=2, data=_ListDataset(data)).fit()
    assert a == b


def test_cpu_amp_uses_bfloat16_autocast():
    model = _net(0)
    dtypes = []
    model[0].register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    trainer = _trainer(model, epochs=4, amp=True)
    history = trainer.fit()
    assert trainer.scaler is None and torch.bfloat16 in dtypes
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_amp_and_compile():
    model = _net(0)
    trainer = _trainer(model, epochs=4, amp=True, compile=True, device="cuda")
    history = trainer.fit()
    assert trainer.scaler is not None and trainer.amp_dtype == torch.float16
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]


def test_bad_arguments_name_the_argument():
    model = _net(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = _blobs()
    ok = dict(epochs=1, batch_size=4)
    cases = [
        (dict(model=object()), "model"),
        (dict(optimizer="sgd"), "optimizer"),
        (dict(batch_size=0), "batch_size"),
        (dict(epochs=-1), "epochs"),
        (dict(scheduler_interval="batch"), "scheduler_interval"),
        (dict(grad_clip_norm=0.0), "grad_clip_norm"),
        (dict(train_data=TensorDataset(torch.zeros(0, 2), torch.zeros(0))), "train_data"),
        (dict(metrics={"acc": 3}), "metrics"),
        (dict(callbacks=[print]), "callbacks"),
        (dict(amp=True, device="meta"), "amp"),
    ]
    for change, arg in cases:
        kw = dict(model=model, optimizer=opt, loss_fn=F.cross_entropy, train_data=data, **ok) | change
        with pytest.raises(ValueError, match=arg):
            Trainer(kw.pop("model"), kw.pop("optimizer"), kw.pop("loss_fn"), kw.pop("train_data"), **kw)
