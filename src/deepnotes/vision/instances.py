"""Instance segmentation targets: one mask per object, and their relation to the semantic map.

Syllabus: vision.instance_segmentation. Notes: 001 S12.02.

Semantic segmentation gives each pixel a class; instance segmentation also separates objects of
the same class: an instance-id map (0 background, k for the k-th object) plus a class per id.
The union of the instance masks equals the foreground of the semantic map, and the semantic map
is recovered by painting each mask with 1 + its class. The standard model, Mask R-CNN (Faster
R-CNN plus a per-RoI mask head), is beyond the notes.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["instance_id_map", "instances_to_semantic"]


@syllabus("vision.instance_segmentation")
def instance_id_map(masks: Tensor) -> Tensor:
    """(H, W) long map: 0 background, k + 1 on the pixels of mask k (later masks win overlaps)."""
    masks = torch.as_tensor(masks).bool()
    expect(masks.dim() == 3, "masks", "a (K, H, W) tensor of instance masks", tuple(masks.shape))
    out = torch.zeros(masks.shape[1:], dtype=torch.long)
    for k, m in enumerate(masks):
        out[m] = k + 1
    return out


@syllabus("vision.instance_segmentation")
def instances_to_semantic(masks: Tensor, labels: Tensor) -> Tensor:
    """(H, W) semantic map with 0 background and 1 + class id on each instance's pixels."""
    masks, labels = torch.as_tensor(masks).bool(), torch.as_tensor(labels).long()
    expect(len(masks) == len(labels), "labels", f"one class per mask ({len(masks)})", len(labels))
    ids = instance_id_map(masks)
    lut = torch.cat([torch.zeros(1, dtype=torch.long), labels + 1])
    return lut[ids]
