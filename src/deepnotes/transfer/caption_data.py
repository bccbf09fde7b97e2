"""Synthetic image-caption pairs: one coloured shape, captioned from the same latent attributes.

Syllabus: adaptation_ssl_meta.synthetic_caption_data. Notes: 003 L13.34, L12D.16.

Latents (colour, shape, side) are drawn first; the image renders exactly them (a filled shape of
that colour on the left or right half of a dark noisy canvas) and the caption is the template
'a {colour} {shape} on the {side}'. ``held_out`` (colour, shape) combinations are excluded from
the training split and make up the zero-shot split, so they never occur in training.
Captions are word-tokenised with the fixed vocabulary ``CAPTION_VOCAB``.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["CAPTION_COLOURS", "CAPTION_SHAPES", "CAPTION_SIDES", "CAPTION_VOCAB", "make_caption_data",
           "tokenize_captions"]

CAPTION_COLOURS = {"red": (1.0, 0.1, 0.1), "green": (0.1, 1.0, 0.1), "blue": (0.15, 0.3, 1.0),
                   "yellow": (1.0, 1.0, 0.1)}
CAPTION_SHAPES = ("square", "circle", "triangle", "cross")
CAPTION_SIDES = ("left", "right")
CAPTION_VOCAB = ["<pad>", "a", "photo", "of", "on", "the", "shape", "picture", "small",
                 *CAPTION_COLOURS, *CAPTION_SHAPES, *CAPTION_SIDES]


def _mask(shape: str, cx: float, cy: float, r: float, size: int) -> torch.Tensor:
    ar = torch.arange(size, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(ar, ar, indexing="ij")                       # (H, W)
    dx, dy = px - cx, py - cy
    if shape == "square":
        return (dx.abs() <= r * 0.8) & (dy.abs() <= r * 0.8)
    if shape == "circle":
        return dx ** 2 + dy ** 2 <= r ** 2
    if shape == "triangle":
        return (dy <= r * 0.8) & (dy >= -r) & (dx.abs() <= (dy + r) * 0.55)
    return ((dx.abs() <= r * 0.3) & (dy.abs() <= r)) | ((dy.abs() <= r * 0.3) & (dx.abs() <= r))


@syllabus("adaptation_ssl_meta.synthetic_caption_data")
def make_caption_data(n: int, size: int = 16, held_out: tuple = (("red", "circle"), ("blue", "triangle")),
                      split: str = "train", noise: float = 0.05, generator: torch.Generator | None = None) -> dict:
    """{'images': (n, 3, size, size), 'captions': [str], 'colour', 'shape', 'side': (n,) indices}.

    split='train' draws only combinations not in ``held_out``; split='zero_shot' only held-out ones.
    """
    expect(n >= 1, "n", "an int >= 1", n)
    expect(size >= 12, "size", "an int >= 12", size)
    expect(split in ("train", "zero_shot"), "split", "'train' or 'zero_shot'", split)
    colours = list(CAPTION_COLOURS)
    for c, s in held_out:
        expect(c in colours and s in CAPTION_SHAPES, "held_out", "(colour, shape) pairs of known names", (c, s))
    combos = [(c, s) for c in colours for s in CAPTION_SHAPES if ((c, s) in held_out) == (split == "zero_shot")]
    expect(len(combos) > 0, "held_out", "a non-empty set of combinations for this split", held_out)
    g = generator
    pick = torch.randint(len(combos), (n,), generator=g)
    side = torch.randint(2, (n,), generator=g)
    images = 0.1 + noise * torch.randn(n, 3, size, size, generator=g)
    caps, ci, si = [], [], []
    for i in range(n):
        c, s = combos[int(pick[i])]
        r = size * (0.18 + 0.06 * float(torch.rand(1, generator=g)))
        cx = size * (0.25 if side[i] == 0 else 0.75) + float(torch.rand(1, generator=g) - 0.5) * size * 0.1
        cy = size * 0.5 + float(torch.rand(1, generator=g) - 0.5) * size * 0.3
        m = _mask(s, cx, cy, r, size)                                    # (H, W)
        images[i][:, m] = torch.tensor(CAPTION_COLOURS[c])[:, None]
        caps.append(f"a {c} {s} on the {CAPTION_SIDES[int(side[i])]}")
        ci.append(colours.index(c))
        si.append(CAPTION_SHAPES.index(s))
    return {"images": images.clamp(0, 1), "captions": caps, "colour": torch.tensor(ci),
            "shape": torch.tensor(si), "side": side}


def tokenize_captions(captions: list[str], length: int = 8) -> torch.Tensor:
    """Word ids (N, length), padded with 0; unknown words raise an error naming them."""
    ids = []
    for cap in captions:
        words = cap.lower().split()
        for w in words:
            expect(w in CAPTION_VOCAB, "captions", f"words from CAPTION_VOCAB", w)
        expect(len(words) <= length, "length", f">= {len(words)} words", length)
        ids.append([CAPTION_VOCAB.index(w) for w in words] + [0] * (length - len(words)))
    return torch.tensor(ids)
