"""Transfer learning helpers: freeze a backbone, replace the head, fine-tune with a smaller LR.

Syllabus: cnn.transfer_learning. Notes: 001 S10.13-S10.15; 003 L13.06; 000 L11.02.

Start from a network trained on a source task. Replace its last linear layer (the head) by one
for the target classes, then either
  * feature extraction: freeze every other parameter (requires_grad = False) and train the head;
  * fine-tuning: train everything, the pre-trained layers with a smaller learning rate.
With few target labels both usually beat training from scratch. Works on any nn.Module whose
head is its last nn.Linear.

A frozen backbone must also keep its BatchNorm statistics: requires_grad = False stops the
affine parameters, but a BatchNorm in train mode still normalizes with the batch's statistics and
updates its running averages. Feature extraction therefore swaps every BatchNorm of the backbone
for :class:`FrozenBatchNorm`, which always computes the eval-mode transform

    y = gamma (x - running_mean) / sqrt(running_var + eps) + beta

with all four as fixed buffers (as torchvision's FrozenBatchNorm2d does for detection backbones).
"""
from __future__ import annotations

import torch
from torch import nn

from ..autodiff.freezing import freeze, unfreeze
from ..core import expect, syllabus

__all__ = ["freeze", "unfreeze", "FrozenBatchNorm", "freeze_batchnorm", "find_head", "replace_head",
           "feature_extractor_params", "fine_tune_param_groups", "transfer_model"]


class FrozenBatchNorm(nn.Module):
    """A BatchNorm (1d/2d/3d) fixed at its eval-mode transform; ``train()`` changes nothing."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        for name, value in (("weight", torch.ones(num_features)), ("bias", torch.zeros(num_features)),
                            ("running_mean", torch.zeros(num_features)), ("running_var", torch.ones(num_features))):
            self.register_buffer(name, value)

    @classmethod
    def from_batchnorm(cls, bn: nn.modules.batchnorm._BatchNorm) -> "FrozenBatchNorm":
        expect(bn.track_running_stats, "bn", "a BatchNorm with running statistics", bn)
        frozen = cls(bn.num_features, bn.eps).to(bn.running_mean.device)
        with torch.no_grad():
            if bn.affine:
                frozen.weight.copy_(bn.weight)
                frozen.bias.copy_(bn.bias)
            frozen.running_mean.copy_(bn.running_mean)
            frozen.running_var.copy_(bn.running_var)
        return frozen

    def forward(self, x: torch.Tensor) -> torch.Tensor:                 # (N, C, *)
        scale = self.weight * (self.running_var + self.eps).rsqrt()       # (C,)
        shift = self.bias - self.running_mean * scale                     # (C,)
        view = (1, -1) + (1,) * (x.dim() - 2)
        return x * scale.view(view) + shift.view(view)

    def extra_repr(self) -> str:
        return f"{len(self.weight)}, eps={self.eps}"


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm inside ``module`` by a :class:`FrozenBatchNorm`; returns the module."""
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(module, name, FrozenBatchNorm.from_batchnorm(child))
        else:
            freeze_batchnorm(child)
    return module


def find_head(model: nn.Module) -> tuple[nn.Module, str, nn.Linear]:
    """(parent, attribute name, layer) of the model's last nn.Linear."""
    found = None
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Linear):
            found = name
    expect(found is not None, "model", "a module containing an nn.Linear head", type(model).__name__)
    parent_name, _, attr = found.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    return parent, attr, getattr(parent, attr)


def replace_head(model: nn.Module, num_classes: int) -> nn.Linear:
    """Swap the last nn.Linear for a fresh one with ``num_classes`` outputs; returns the new head."""
    expect(num_classes >= 1, "num_classes", "a positive int", num_classes)
    parent, attr, old = find_head(model)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None).to(old.weight.device)
    setattr(parent, attr, new)
    return new


@syllabus("cnn.transfer_learning")
def transfer_model(model: nn.Module, num_classes: int, mode: str = "finetune") -> nn.Module:
    """Prepare a pre-trained ``model`` for a new task: new head, and a frozen backbone under ``mode='frozen'``.

    Frozen means fixed parameters and fixed BatchNorm statistics (see :class:`FrozenBatchNorm`).
    """
    expect(mode in ("finetune", "frozen"), "mode", "'finetune' or 'frozen'", mode)
    if mode == "frozen":
        freeze(freeze_batchnorm(model))
    replace_head(model, num_classes)                             # the new head is trainable
    return model


def feature_extractor_params(model: nn.Module) -> list[nn.Parameter]:
    """The trainable parameters (the head, after ``transfer_model(mode='frozen')``)."""
    return [p for p in model.parameters() if p.requires_grad]


def fine_tune_param_groups(model: nn.Module, lr: float, backbone_lr_scale: float = 0.1) -> list[dict]:
    """Optimizer parameter groups: the head at ``lr``, everything else at ``lr * backbone_lr_scale``."""
    _, _, head = find_head(model)
    head_ids = {id(p) for p in head.parameters()}
    body = [p for p in model.parameters() if id(p) not in head_ids and p.requires_grad]
    return [{"params": list(head.parameters()), "lr": lr}, {"params": body, "lr": lr * backbone_lr_scale}]
