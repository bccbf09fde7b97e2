"""Data-parallel training with torch.distributed when launched by ``torchrun``.

``torchrun --nproc_per_node N -m deepnotes run NAME`` starts N processes and sets ``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` in each one's environment. When
``WORLD_SIZE > 1`` the Trainer:

* joins the process group (``nccl`` on CUDA, each process on ``cuda:LOCAL_RANK``; ``gloo`` on CPU),
* wraps the model in ``DistributedDataParallel``, which all-reduces (averages) the gradients
  during ``backward``: with equal per-process batches of size b and a mean-reduced loss,
  (1/N) sum_r (1/b) sum_{i in B_r} grad l_i = (1/(N b)) sum_{i in B} grad l_i, the gradient of one
  process on the combined batch B (tests/experiments/test_distributed.py),
* splits each epoch's examples with a ``DistributedSampler`` seeded by ``seed`` and advanced by
  ``set_epoch``, so the ranks see disjoint shards of the same permutation,
* logs and writes checkpoints on rank 0 only.

Nothing here is home-made: torch.distributed is the engine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["DistributedInfo", "init_distributed", "wrap_distributed", "all_reduce_sum"]


@dataclass(frozen=True)
class DistributedInfo:
    """Where this process sits: ``rank`` of ``world_size``, ``local_rank`` on its machine."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> "DistributedInfo":
        env = os.environ
        world = int(env.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        return cls(rank=int(env.get("RANK", "0")), local_rank=int(env.get("LOCAL_RANK", "0")),
                   world_size=world)


def init_distributed(device: torch.device) -> tuple[DistributedInfo, torch.device]:
    """Join the process group when launched with WORLD_SIZE > 1; return (info, device to use)."""
    info = DistributedInfo.from_env()
    if not info.enabled:
        return info, device
    if device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return info, device


def wrap_distributed(model: torch.nn.Module, info: DistributedInfo, device: torch.device) -> torch.nn.Module:
    """``DistributedDataParallel(model)`` when distributed, else ``model`` itself."""
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def all_reduce_sum(tensor: torch.Tensor, info: DistributedInfo) -> torch.Tensor:
    """Sum ``tensor`` over the ranks (a no-op in one process); returns it."""
    if info.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor
