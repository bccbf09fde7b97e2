"""Convolutionalisation: turning a classifier's dense layers into convolutions (OverFeat, FCN).

Syllabus: vision.convolutionalization. Notes: 001 S12.06-S12.08; 002 §5.2g.

A dense layer reading a k x k x C feature map computes the same numbers as a k x k convolution
with C_out filters holding the same weights (reshaped); later dense layers become 1x1 convs. The
converted network accepts larger images and outputs a class map: cell (i, j) equals the original
classifier on the crop at (S i, S j), where S is the total stride of the feature extractor, and
for an input of D_in pixels and a crop of K pixels the map has (D_in - K) / S + 1 cells per axis.
Overlapping windows share their convolutions: one pass replaces the explicit sliding window.
"""
from __future__ import annotations

from torch import nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d

__all__ = ["convolutionalize"]


@syllabus("vision.convolutionalization")
def convolutionalize(features: nn.Module, classifier: nn.Sequential, feature_shape: tuple[int, int, int]) -> nn.Sequential:
    """features + classifier (Flatten? / Linear / activations) -> a fully convolutional nn.Sequential."""
    C, kh, kw = feature_shape
    layers: list[nn.Module] = [features]
    first = True
    for m in classifier:
        if isinstance(m, nn.Flatten):
            continue
        if isinstance(m, nn.Linear):
            if first:
                expect(m.in_features == C * kh * kw, "feature_shape",
                       f"C*kh*kw equal to the first Linear's in_features {m.in_features}", feature_shape)
                conv = Conv2d(C, m.out_features, (kh, kw))
                conv.weight.data.copy_(m.weight.data.view(m.out_features, C, kh, kw))
                first = False
            else:
                conv = Conv2d(m.in_features, m.out_features, 1)
                conv.weight.data.copy_(m.weight.data[:, :, None, None])
            conv.bias.data.copy_(m.bias.data)
            layers.append(conv)
        else:
            layers.append(m)                                       # activations, dropout: pointwise
    return nn.Sequential(*layers)
