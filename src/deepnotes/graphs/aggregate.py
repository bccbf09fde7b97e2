"""Scatter reductions: the aggregation step of message passing without a dense N x N matrix.

Syllabus: graphs.spatial_graph_conv (the aggregator). Notes: 001 S19.03-S19.05.

    out[i] = REDUCE_{e : index[e] = i} src[e]        REDUCE in {sum, mean, max}

Sum uses ``index_add_``; mean divides by the count (empty rows stay 0); max uses
``scatter_reduce`` with ``include_self=False`` (empty rows stay 0, as in PyG).
"""
from __future__ import annotations

import torch

from ..core import expect

__all__ = ["scatter", "scatter_softmax"]

_REDUCE = ("sum", "add", "mean", "max")


def scatter(src: torch.Tensor, index: torch.Tensor, dim_size: int, reduce: str = "sum") -> torch.Tensor:
    """Reduce rows of ``src`` (E, ...) into ``dim_size`` rows grouped by ``index`` (E,)."""
    expect(reduce in _REDUCE, "reduce", f"one of {_REDUCE}", reduce)
    expect(index.dim() == 1 and index.numel() == src.size(0), "index",
           f"a 1-D tensor with {src.size(0)} entries", tuple(index.shape))
    out = src.new_zeros((dim_size,) + src.shape[1:])                            # (N, ...)
    if reduce in ("sum", "add"):
        return out.index_add_(0, index, src)
    if reduce == "mean":
        out.index_add_(0, index, src)
        count = src.new_zeros(dim_size).index_add_(0, index, src.new_ones(index.numel()))
        return out / count.clamp(min=1).view(-1, *([1] * (src.dim() - 1)))
    idx = index.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    return out.scatter_reduce(0, idx, src, reduce="amax", include_self=False)


def scatter_softmax(src: torch.Tensor, index: torch.Tensor, dim_size: int) -> torch.Tensor:
    """Softmax of ``src`` (E, ...) within each group of ``index`` (E,) (the edges into a node)."""
    smax = scatter(src, index, dim_size, "max")                                 # (N, ...)
    e = (src - smax[index]).exp()                                               # (E, ...)
    return e / scatter(e, index, dim_size, "sum")[index]
