"""Two CPU processes with gloo: the Trainer's DDP gradients equal one process on the combined batch.

The workers are started with torch.multiprocessing.spawn and given the environment torchrun would
set (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); the Trainer does the rest: it joins
the process group, wraps the model in DistributedDataParallel and shards each epoch with a
seeded DistributedSampler.
"""
import os
import socket

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

N, PER_RANK, WORLD, EPOCHS = 16, 8, 2, 3


def _data():
    g = torch.Generator().manual_seed(0)
    return TensorDataset(torch.randn(N, 5, generator=g), torch.randint(0, 3, (N,), generator=g))


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


def _worker(rank, port, out):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import torch.distributed as dist
    from safetensors.torch import save_file
    from torch.nn.parallel import DistributedDataParallel

    from deepnotes.train import Callback, Trainer

    class Record(Callback):
        def __init__(self):
            self.tensors = {}

        def on_epoch_start(self, trainer, epoch):
            (batch,) = trainer._batches(epoch)               # one batch per rank per epoch
            self.tensors[f"idx{epoch}"] = batch

        def on_before_optimizer_step(self, trainer):       # after DDP's all-reduce
            for name, p in trainer.model.named_parameters():
                self.tensors[f"grad{trainer.step}.{name}"] = p.grad.detach().clone()

    model = _model()
    record = Record()
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.5), F.cross_entropy, _data(),
                      epochs=EPOCHS, batch_size=PER_RANK, seed=0, device="cpu", callbacks=[record],
                      checkpoint_dir=os.path.join(out, "ckpt"))
    assert dist.is_initialized() and dist.get_backend() == "gloo"
    assert isinstance(trainer.net, DistributedDataParallel) and trainer.dist.rank == rank
    history = trainer.fit()
    for name, p in model.named_parameters():
        record.tensors[f"final.{name}"] = p.detach().clone()
    record.tensors["train_loss"] = torch.tensor([h["train_loss"] for h in history], dtype=torch.float64)
    save_file(record.tensors, os.path.join(out, f"rank{rank}.safetensors"))
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.syllabus("training.training_loop")
def test_ddp_gradients_equal_single_process_on_combined_batch(tmp_path):
    import torch.multiprocessing as mp
    from safetensors.torch import load_file

    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    r0, r1 = (load_file(tmp_path / f"rank{r}.safetensors") for r in range(WORLD))

    # The sampler shards each epoch: disjoint halves covering the data, a new order every epoch.
    for e in range(EPOCHS):
        assert sorted(torch.cat([r0[f"idx{e}"], r1[f"idx{e}"]]).tolist()) == list(range(N))
    assert not torch.equal(r0["idx0"], r0["idx1"])

    # One process, plain torch, on the combined batch (= the whole set here): same grads, same weights.
    x, y = _data().tensors
    ref = _model()
    opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    losses = []
    for step in range(EPOCHS):
        opt.zero_grad()
        loss = F.cross_entropy(ref(x), y)
        loss.backward()
        losses.append(loss.item())
        for name, p in ref.named_parameters():
            for r in (r0, r1):
                torch.testing.assert_close(r[f"grad{step}.{name}"], p.grad, atol=1e-6, rtol=1e-5)
        opt.step()
    for name, p in ref.named_parameters():
        torch.testing.assert_close(r0[f"final.{name}"], p.detach(), atol=1e-6, rtol=1e-5)
        assert torch.equal(r0[f"final.{name}"], r1[f"final.{name}"])    # replicas stay identical
    # the logged epoch loss is the mean over both ranks' examples
    torch.testing.assert_close(r0["train_loss"], torch.tensor(losses, dtype=torch.float64), atol=1e-6, rtol=0)
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("*.json")) == [
        f"epoch-{e:05d}.json" for e in range(1, EPOCHS + 1)]


def _nan_worker(rank, port, out):
    """Rank 1's loss turns NaN at its third step (trainer.step == 2 before it); rank 0's stays finite."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import torch.distributed as dist

    from deepnotes.core.errors import NonFiniteLossError
    from deepnotes.train import Trainer

    def loss_fn(out, y):
        loss = F.cross_entropy(out, y)
        return loss * float("nan") if rank == 1 and trainer.step >= 2 else loss

    model = _model()
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, _data(),
                      epochs=20, batch_size=4, seed=0, device="cpu", log_every=1)
    try:
        trainer.fit()
        outcome = "finished"
    except NonFiniteLossError as e:
        outcome = f"stopped at {e.step}"
    with open(os.path.join(out, f"rank{rank}.txt"), "w") as f:
        f.write(outcome)
    dist.destroy_process_group()


@pytest.mark.syllabus("training.training_loop")
def test_ddp_every_rank_stops_when_one_rank_sees_a_nan_loss(tmp_path):
    """Every rank raises NonFiniteLossError at the same step.

    Without the shared check only rank 1 raises; rank 0 goes on into the next gradient all-reduce
    and fails there with gloo's "connection closed by peer" (or waits, where the peer stays alive).
    """
    import torch.multiprocessing as mp

    ctx = mp.spawn(_nan_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=False)
    for _ in range(120):          # at most 60 s; a hang fails the test instead of the suite
        if ctx.join(timeout=0.5):
            break
    else:
        for p in ctx.processes:
            p.kill()
        pytest.fail("a rank hung after another rank saw a NaN loss")
    assert [(tmp_path / f"rank{r}.txt").read_text() for r in range(WORLD)] == ["stopped at 3"] * WORLD   # steps count from 1
