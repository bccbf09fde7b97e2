"""Input standardisation with statistics from the training set only.

Syllabus: training.input_standardization. Notes: 000 L2.90-L2.91, 001 S14.13, 002 §4.3a, §5.1d.

Per feature i, with the mean m_i and the (population, ddof = 0) standard deviation s_i of the
TRAINING examples:

    x~_i = (x_i - m_i) / s_i

Validation and test inputs reuse the training m and s (fitting on them would leak). A feature
with s_i = 0 is only centred (s_i taken as 1), as scikit-learn's StandardScaler does. For images,
``dims=(0, 2, 3)`` pools each channel over examples and pixels (mean-pixel subtraction), so
zero padding after standardising pads with the mean. Equal to sklearn's StandardScaler.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["Standardize"]


@syllabus("training.input_standardization")
class Standardize(nn.Module):
    """``Standardize(dims=(0,)).fit(x_train)``; then ``self(x)`` = (x - mean) / std, any split.

    ``dims``: the dimensions pooled into one statistic (0 = over examples: one per feature).
    ``center_only``: subtract the mean, leave the scale.
    """

    def __init__(self, dims: tuple[int, ...] = (0,), center_only: bool = False):
        super().__init__()
        expect(len(dims) > 0 and 0 in dims, "dims", "a tuple of dimensions including 0 (the examples)", dims)
        self.dims, self.center_only = tuple(dims), center_only
        self.register_buffer("mean", torch.zeros(0))
        self.register_buffer("std", torch.ones(0))

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> "Standardize":
        """Compute the statistics from training inputs ``x`` (N, ...); returns self."""
        expect(x.is_floating_point() and x.ndim > max(self.dims), "x",
               f"a float tensor with more than {max(self.dims)} dims", f"{x.dtype} {tuple(x.shape)}")
        expect(len(x) > 0, "x", "at least one training example", tuple(x.shape))
        x64 = x.double()
        self.mean = x64.mean(self.dims, keepdim=True).to(x.dtype)                  # (1, ...) broadcastable
        std = x64.std(self.dims, correction=0, keepdim=True)
        self.std = torch.where(std > 0, std, torch.ones_like(std)).to(x.dtype)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect(self.mean.numel() > 0, "Standardize", "fit(x_train) before use", "an unfitted transform",
               RuntimeError)
        expect(x.ndim == self.mean.ndim and all(m in (1, s) for m, s in zip(self.mean.shape[1:], x.shape[1:])), "x",
               f"inputs shaped like the training data {tuple(self.mean.shape[1:])}", tuple(x.shape))
        out = x - self.mean
        return out if self.center_only else out / self.std

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        return z + self.mean if self.center_only else z * self.std + self.mean

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in ("mean", "std"):                       # fitted statistics may replace the empty buffers
            if prefix + name in state_dict:
                setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return f"dims={self.dims}, center_only={self.center_only}"
