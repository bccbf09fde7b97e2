"""Domain generalisation: train on several source domains, test on an unseen one.

Syllabus: adaptation_ssl_meta.domain_generalization. Notes: 000 L11.06.

The pooled-ERM baseline minimises the average loss over the union of the source domains,
    min_theta  sum_{d != held-out} E_{(x, y) ~ D_d} loss(f_theta(x), y),
with no target data at all; the protocol is leave-one-domain-out: each domain in turn is held out
and evaluated on. ``rotated_digit_domains`` makes the multi-domain data (the same digits rotated
by a fixed angle per domain).
"""
from __future__ import annotations

from typing import Iterator

import torch

from ..core import expect, syllabus
from ..data import rotate

__all__ = ["rotated_digit_domains", "leave_one_domain_out"]


def rotated_digit_domains(x: torch.Tensor, y: torch.Tensor, angles=(0, 30, 60, 90),
                          generator: torch.Generator | None = None
                          ) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
    """Split (N, 1, H, W) images into len(angles) disjoint parts, part d rotated by angles[d] degrees.

    Returns {domain: (x_d, y_d)}; each image appears in exactly one domain.
    """
    expect(x.dim() == 4, "x", "images of shape (N, C, H, W)", tuple(x.shape))
    expect(len(angles) >= 2, "angles", "at least two domains", angles)
    perm = torch.randperm(len(x), generator=generator)
    out = {}
    for d, idx in enumerate(perm.chunk(len(angles))):
        out[d] = (rotate(x[idx], float(angles[d])), y[idx])          # (N_d, C, H, W), (N_d,)
    return out


@syllabus("adaptation_ssl_meta.domain_generalization")
def leave_one_domain_out(domains: dict) -> Iterator[tuple[object, tuple, tuple]]:
    """Yield (held_out, (x_train, y_train) pooled from the other domains, (x_test, y_test)).

    The held-out domain's tensors are never part of the pooled training data.
    """
    expect(len(domains) >= 2, "domains", "at least two domains", len(domains))
    for held in domains:
        xs = [domains[d][0] for d in domains if d != held]
        ys = [domains[d][1] for d in domains if d != held]
        yield held, (torch.cat(xs), torch.cat(ys)), domains[held]
