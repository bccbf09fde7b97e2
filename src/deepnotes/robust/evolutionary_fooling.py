"""Evolutionary black-box fooling images with direct and CPPN encodings.

Syllabus: robustness.evolutionary_fooling. Notes: 001 S11.18-S11.20.

A population of genomes is scored by the classifier's probability of the target class (forward
queries only, no gradients); each generation keeps the best ``elite`` genomes, and refills the
population by uniform crossover of random elite parents plus Gaussian mutation.

* direct encoding: the genome is the pixel array itself (clamped to [0, 1]);
* CPPN encoding: the genome is the weights of a tiny network mapping each pixel's (x, y, r)
  coordinates through sine / Gaussian / sigmoid / linear units to an intensity, giving smooth,
  regular patterns.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["cppn_render", "evolve_fooling_image"]

_HIDDEN = 8


def _cppn_size() -> int:
    return 3 * 4 * _HIDDEN + 4 * _HIDDEN + 4 * _HIDDEN + 1


def cppn_render(genomes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Render CPPN genomes (P, G) into images (P, 1, H, W) with sin/gauss/sigmoid/linear units."""
    P = genomes.shape[0]
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    coords = torch.stack([xs, ys, (xs ** 2 + ys ** 2).sqrt()], -1).view(-1, 3)     # (HW, 3)
    n1, n2 = 3 * 4 * _HIDDEN, 4 * _HIDDEN
    w1 = genomes[:, :n1].view(P, 3, 4 * _HIDDEN)
    b1 = genomes[:, n1:n1 + n2].view(P, 1, 4 * _HIDDEN)
    w2 = genomes[:, n1 + n2:n1 + 2 * n2].view(P, 4 * _HIDDEN, 1)
    b2 = genomes[:, -1].view(P, 1, 1)
    h = coords @ w1 + b1                                                            # (P, HW, 4h)
    s, g, sg, lin = h.split(_HIDDEN, -1)
    h = torch.cat([torch.sin(s), torch.exp(-g ** 2), torch.sigmoid(sg), lin], -1)
    return torch.sigmoid(h @ w2 + b2).view(P, 1, height, width)


@syllabus("robustness.evolutionary_fooling")
@torch.no_grad()
def evolve_fooling_image(model: nn.Module, shape: tuple[int, int, int], target_class: int,
                         encoding: str = "direct", population: int = 64, elite: int = 8, generations: int = 500,
                         sigma: float = 0.1, threshold: float = 0.9, generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, float, int]:
    """Returns (best image (C, H, W), its target probability, generations used)."""
    expect(encoding in ("direct", "cppn"), "encoding", "'direct' or 'cppn'", encoding)
    expect(1 <= elite < population, "elite", f"an int in [1, {population})", elite)
    C, H, W = shape
    if encoding == "direct":
        pop = torch.rand(population, C * H * W, generator=generator)
        render = lambda g: g.clamp(0, 1).view(-1, C, H, W)              # noqa: E731
    else:
        expect(C == 1, "shape", "one channel for the CPPN encoding", shape)
        pop = torch.randn(population, _cppn_size(), generator=generator)
        render = lambda g: cppn_render(g, H, W)                         # noqa: E731
    gen = 0
    for gen in range(1, generations + 1):
        fitness = model(render(pop)).softmax(-1)[:, target_class]       # (P,)
        order = fitness.argsort(descending=True)
        pop, fitness = pop[order], fitness[order]
        if float(fitness[0]) > threshold:
            break
        parents = pop[:elite]
        a = parents[torch.randint(0, elite, (population - elite,), generator=generator)]
        b = parents[torch.randint(0, elite, (population - elite,), generator=generator)]
        mix = torch.rand(a.shape, generator=generator) < 0.5
        children = torch.where(mix, a, b) + sigma * torch.randn(a.shape, generator=generator)
        if encoding == "direct":
            children = children.clamp(0, 1)
        pop = torch.cat([parents, children])
    best = render(pop[:1])
    return best[0], float(model(best).softmax(-1)[0, target_class]), gen
