"""Jigsaw pretext task: shuffle image tiles by a permutation from a fixed set, predict its index.

Syllabus: adaptation_ssl_meta.pretext_jigsaw. Notes: 003 L13.27.

Cut an image into g x g tiles, pick a permutation pi from a fixed set P (all 24 for 2 x 2), place
tile pi[i] at position i, and train a |P|-way classifier to recover the index of pi. The inverse
permutation undoes the shuffle exactly.
"""
from __future__ import annotations

import itertools

import torch

from ..core import expect, syllabus

__all__ = ["jigsaw_permutations", "to_tiles", "from_tiles", "jigsaw_shuffle", "jigsaw_unshuffle",
           "jigsaw_pretext_batch"]


def jigsaw_permutations(grid: int = 2, count: int | None = None,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """(P, grid^2) distinct permutations: all of them, or ``count`` sampled without replacement."""
    expect(grid in (2, 3), "grid", "2 or 3", grid)
    n = grid * grid
    if grid == 2 or count is None:
        expect(grid == 2, "count", "an int for grid=3 (9! permutations is too many)", count)
        perms = torch.tensor(list(itertools.permutations(range(n))))     # (24, 4)
        if count is not None:
            expect(1 <= count <= len(perms), "count", f"an int in [1, {len(perms)}]", count)
            perms = perms[torch.randperm(len(perms), generator=generator)[:count]]
        return perms
    seen: dict[tuple, None] = {}
    while len(seen) < count:
        seen[tuple(torch.randperm(n, generator=generator).tolist())] = None
    return torch.tensor(list(seen))                                     # (count, 9)


def to_tiles(x: torch.Tensor, grid: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, grid^2, C, H/grid, W/grid), tiles in row-major order."""
    N, C, H, W = x.shape
    expect(H % grid == 0 and W % grid == 0, "x", f"H and W divisible by grid={grid}", (H, W))
    t = x.reshape(N, C, grid, H // grid, grid, W // grid)
    return t.permute(0, 2, 4, 1, 3, 5).reshape(N, grid * grid, C, H // grid, W // grid)


def from_tiles(t: torch.Tensor, grid: int) -> torch.Tensor:
    """Inverse of :func:`to_tiles`."""
    N, n, C, h, w = t.shape
    return t.reshape(N, grid, grid, C, h, w).permute(0, 3, 1, 4, 2, 5).reshape(N, C, grid * h, grid * w)


def jigsaw_shuffle(x: torch.Tensor, perms: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Place tile perms[index][i] at position i, per image."""
    grid = int(round(perms.shape[1] ** 0.5))
    t = to_tiles(x, grid)                                                # (N, n, C, h, w)
    p = perms[index]                                                     # (N, n)
    return from_tiles(t[torch.arange(len(x))[:, None], p], grid)


def jigsaw_unshuffle(x: torch.Tensor, perms: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Undo :func:`jigsaw_shuffle` given the permutation index (e.g. a correct prediction)."""
    grid = int(round(perms.shape[1] ** 0.5))
    t = to_tiles(x, grid)                                                # (N, n, C, h, w)
    inv = perms[index].argsort(1)                                        # (N, n)
    return from_tiles(t[torch.arange(len(x))[:, None], inv], grid)


@syllabus("adaptation_ssl_meta.pretext_jigsaw")
def jigsaw_pretext_batch(x: torch.Tensor, perms: torch.Tensor, generator: torch.Generator | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(shuffled images, permutation index) with the index uniform over the rows of ``perms``."""
    idx = torch.randint(len(perms), (len(x),), generator=generator)     # (N,)
    return jigsaw_shuffle(x, perms, idx), idx
