"""Transfer learning helpers: freeze a backbone, replace the head, fine-tune with a smaller LR.

Syllabus: cnn.transfer_learning. Notes: 001 S10.13-S10.15; 003 L13.06; 000 L11.02.

Start from a network trained on a source task. Replace its last linear layer (the head) by one
for the target classes, then either
  * feature extraction: freeze every other parameter (requires_grad = False) and train the head;
  * fine-tuning: train everything, the pre-trained layers with a smaller learning rate.
With few target labels both usually beat training from scratch. Works on any nn.Module whose
head is its last nn.Linear.
"""
from __future__ import annotations

from torch import nn

from ..core import expect, syllabus

__all__ = ["freeze", "unfreeze", "find_head", "replace_head", "feature_extractor_params", "fine_tune_param_groups",
           "transfer_model"]


def freeze(module: nn.Module) -> nn.Module:
    """requires_grad = False on every parameter; returns the module."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        p.requires_grad_(True)
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
    """Prepare a pre-trained ``model`` for a new task: new head, and a frozen backbone under ``mode='frozen'``."""
    expect(mode in ("finetune", "frozen"), "mode", "'finetune' or 'frozen'", mode)
    if mode == "frozen":
        freeze(model)
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
