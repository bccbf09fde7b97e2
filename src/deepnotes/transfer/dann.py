"""Domain-adversarial neural network (DANN).

Syllabus: adaptation_ssl_meta.dann. Notes: 000 L11.03-L11.05.

A feature extractor G_f feeds a label predictor G_y (trained on labelled source data) and, through
a gradient reversal layer, a domain classifier G_d (source = 0, target = 1, on source plus
unlabelled target). The saddle point is

    min_{G_f, G_y} max_{G_d}  L_y(G_y(G_f(x_s)), y_s) - lambda L_d(G_d(G_f(x)), d)

and one ordinary backward pass of L_y + L_d through the GRL gives every part its gradient:
G_d descends L_d, G_f descends L_y - lambda L_d. Features that fool G_d are domain-invariant.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus
from .gradient_reversal import GradientReversal

__all__ = ["DANN", "dann_loss"]


@syllabus("adaptation_ssl_meta.dann")
class DANN(nn.Module):
    """``features`` (G_f), ``classifier`` (G_y) and ``domain_classifier`` (G_d, one logit) behind a GRL."""

    def __init__(self, features: nn.Module, classifier: nn.Module, domain_classifier: nn.Module,
                 lambd: float = 1.0):
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.grl = GradientReversal(lambd)
        self.domain_classifier = domain_classifier

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits (B, K) and domain logits (B,) for a batch x."""
        h = self.features(x)                                           # (B, H)
        return self.classifier(h), self.domain_classifier(self.grl(h)).squeeze(-1)


@syllabus("adaptation_ssl_meta.dann")
def dann_loss(model: DANN, x_source: torch.Tensor, y_source: torch.Tensor,
              x_target: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """L_y(source) + L_d(source vs target); returns (loss, {'label_loss', 'domain_loss', 'domain_acc'})."""
    expect(len(x_source) == len(y_source), "y_source", f"{len(x_source)} labels (one per source x)",
           len(y_source))
    x = torch.cat([x_source, x_target])                                # (Bs + Bt, ...)
    d = torch.cat([torch.zeros(len(x_source)), torch.ones(len(x_target))]).to(x.device)  # (Bs + Bt,)
    logits, dom = model(x)
    label_loss = F.cross_entropy(logits[: len(x_source)], y_source)
    domain_loss = F.binary_cross_entropy_with_logits(dom, d)
    acc = ((dom > 0).float() == d).float().mean().item()
    return label_loss + domain_loss, {"label_loss": label_loss.item(), "domain_loss": domain_loss.item(),
                                      "domain_acc": acc}
