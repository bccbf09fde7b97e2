"""Adversarial training: the robust min-max objective.

Syllabus: robustness.adversarial_training. Notes: 000 L10.24; 002 §9.3b, §9.3k.

    theta* = argmin_theta sum_i max_{|x' - x_i| <= eps} L_theta(x', y_i)

Each minibatch step crafts x' with the inner attack (FGSM or PGD, model in eval mode so the
attack sees fixed statistics), then takes an optimiser step on the adversarial loss, or on
(1 - clean_weight) L(x') + clean_weight L(x).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .fgsm import fgsm

__all__ = ["adversarial_training_step", "adversarial_train"]


@syllabus("robustness.adversarial_training")
def adversarial_training_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                              eps: float, attack: Callable[..., torch.Tensor] = fgsm, clean_weight: float = 0.0,
                              **attack_kw) -> float:
    """One min-max step on a minibatch; returns the loss that was minimised."""
    expect(0 <= clean_weight <= 1, "clean_weight", "a float in [0, 1]", clean_weight)
    was_training = model.training
    model.eval()
    x_adv = attack(model, x, y, eps=eps, **attack_kw).detach()
    model.train(was_training)
    loss = (1 - clean_weight) * F.cross_entropy(model(x_adv), y)
    if clean_weight:
        loss = loss + clean_weight * F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@syllabus("robustness.adversarial_training")
def adversarial_train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, epochs: int = 20,
                      lr: float = 2e-3, batch_size: int = 64, attack: Callable[..., torch.Tensor] = fgsm,
                      clean_weight: float = 0.0, generator: torch.Generator | None = None, **attack_kw) -> nn.Module:
    """Adam over shuffled minibatches of adversarial examples; eps = 0 gives standard training."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator)
        for s in range(0, len(x), batch_size):
            idx = perm[s:s + batch_size]
            if eps > 0:
                adversarial_training_step(model, opt, x[idx], y[idx], eps, attack, clean_weight, **attack_kw)
            else:
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    model.eval()
    return model
