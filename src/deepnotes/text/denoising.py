"""BART-style corruptions for denoising sequence-to-sequence pre-training.

Syllabus: transformers_nlp.denoising_seq2seq_pretraining. Notes: 000 L7.13.

The encoder reads a corrupted document, the decoder reconstructs the original:
    token masking         each token -> [MASK] with probability p
    token deletion        each token deleted with probability p (the model must find where)
    span infilling        spans with Poisson(lambda = 3) lengths each replaced by ONE [MASK]
    sentence permutation  the sentences shuffled
    document rotation     a uniformly chosen token becomes the start (cyclic shift)
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["token_masking", "token_deletion", "span_infilling", "sentence_permutation", "document_rotation"]


def _g(generator):
    return generator if generator is not None else torch.Generator().manual_seed(0)


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def token_masking(tokens: list, mask, p: float = 0.15, generator: torch.Generator | None = None) -> list:
    expect(0 <= p <= 1, "p", "a probability", p)
    u = torch.rand(len(tokens), generator=_g(generator)).tolist()
    return [mask if ui < p else t for t, ui in zip(tokens, u)]


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def token_deletion(tokens: list, p: float = 0.15, generator: torch.Generator | None = None) -> tuple[list, int]:
    """(kept tokens, number deleted)."""
    expect(0 <= p <= 1, "p", "a probability", p)
    u = torch.rand(len(tokens), generator=_g(generator)).tolist()
    kept = [t for t, ui in zip(tokens, u) if ui >= p]
    return kept, len(tokens) - len(kept)


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def span_infilling(tokens: list, mask, mask_ratio: float = 0.3, poisson_lambda: float = 3.0,
                   generator: torch.Generator | None = None) -> tuple[list, list[tuple[int, int]]]:
    """Replace non-overlapping spans (about ``mask_ratio`` of the tokens) by one ``mask`` each.

    Returns the corrupted list and the replaced spans [(start, length)] in original positions
    (length 0 spans insert a [MASK] without removing anything).
    """
    g = _g(generator)
    n = len(tokens)
    budget = int(round(mask_ratio * n))
    covered = [False] * n
    spans: list[tuple[int, int]] = []
    tries = 0
    while sum(length for _, length in spans) < budget and tries < 10 * n + 10:
        tries += 1
        length = int(torch.poisson(torch.tensor([poisson_lambda]), generator=g).item())
        length = min(length, budget - sum(l for _, l in spans))
        start = int(torch.randint(0, n - length + 1, (1,), generator=g))
        lo, hi = max(0, start - 1), min(n, start + length + 1)      # keep spans apart
        if any(covered[lo:hi]) or length == 0:
            continue
        for i in range(start, start + length):
            covered[i] = True
        spans.append((start, length))
    spans.sort()
    out, i, k = [], 0, 0
    while i < n:
        if k < len(spans) and spans[k][0] == i:
            out.append(mask)
            i += spans[k][1]
            k += 1
        else:
            out.append(tokens[i])
            i += 1
    return out, spans


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def sentence_permutation(sentences: list, generator: torch.Generator | None = None) -> list:
    order = torch.randperm(len(sentences), generator=_g(generator)).tolist()
    return [sentences[i] for i in order]


@syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def document_rotation(tokens: list, generator: torch.Generator | None = None) -> tuple[list, int]:
    """(tokens[k:] + tokens[:k], k) for a uniform k."""
    expect(len(tokens) > 0, "tokens", "a non-empty document", tokens)
    k = int(torch.randint(0, len(tokens), (1,), generator=_g(generator)))
    return tokens[k:] + tokens[:k], k
