"""Fully connected (dense) layer.

Syllabus: training.dense_layer. Notes: 001 S2.13; 002 §4.1a; 003 L0.05.

    y = x W^T + b,   W in R^{out x in},  b in R^{out}
    parameters: in * out + out (with bias)

The notes write y = W x for one column vector; a batch of rows is x W^T. The default
initialisation is torch's (uniform in +-1/sqrt(fan_in) for W and b), so a fresh layer has the
statistics of torch.nn.Linear; constructor arguments and parameter names are torch's, so
``load_state_dict`` works both ways. An optional activation follows in :class:`MLP`
(deepnotes.nn.mlp). Equal to torch.nn.Linear forward and backward (tests/nn/test_linear.py).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["Linear", "dense"]


def dense(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b over the last dimension of ``input``."""
    expect(input.is_floating_point(), "input", "a floating-point tensor", input.dtype, TypeError)
    expect(input.dim() >= 1 and input.shape[-1] == weight.shape[1], "input",
           f"a tensor whose last dimension is in_features={weight.shape[1]}", tuple(input.shape))
    out = input @ weight.T                         # (..., in) @ (in, out) -> (..., out)
    if bias is not None:
        out = out + bias                           # (..., out) + (out,)
    return out


@syllabus("training.dense_layer")
class Linear(nn.Module):
    """y = x W^T + b with torch.nn.Linear's arguments, parameters and default initialisation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None, generator: torch.Generator | None = None):
        super().__init__()
        expect(isinstance(in_features, int) and in_features > 0, "in_features", "a positive int", in_features)
        expect(isinstance(out_features, int) and out_features > 0, "out_features", "a positive int", out_features)
        self.in_features, self.out_features = in_features, out_features
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **kw))   # (out, in)
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **kw))                # (out,)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias (torch's default)."""
        bound = 1.0 / math.sqrt(self.in_features)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        return dense(input, self.weight, self.bias)   # (..., in) -> (..., out)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
