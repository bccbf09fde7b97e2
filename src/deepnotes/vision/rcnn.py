"""R-CNN and Fast R-CNN: classify region proposals, per crop or on shared features.

Syllabus: vision.rcnn, vision.fast_rcnn. Notes: 001 S13.09, S13.11, S13.12; 002 §5.2k, §5.2m.

R-CNN: take external proposals (selective search), warp each crop of the IMAGE to a fixed size,
run the CNN on every crop, classify it (K + 1 classes, 0 = background) and regress a per-class box
correction. Fast R-CNN runs the backbone ONCE on the whole image and RoI-pools each proposal from
the feature map to the same k x k grid, then applies the same head. :class:`RegionClassifier` is
that network (VGG-like backbone: stages of ``convs_per_stage`` 3x3 convs and a 2x2 max pool, total
stride s; k x k RoI grid; FC head); R-CNN feeds it crops warped to (k s) x (k s) so both see a
k x k feature grid: with the same weights they give the same outputs wherever a box lies on the
feature grid and the convs see nothing past the crop (tested), and Fast R-CNN computes the
convolutions once per image instead of once per proposal. In practice each method trains its own
weights (R-CNN on warped crops, Fast R-CNN end to end on RoI-pooled features, which also see context
beyond the box), as the ``two-stage`` experiment does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from ..nn.roi_pooling import roi_pool
from .anchors import decode_boxes, encode_boxes
from .nms import batched_nms

__all__ = ["RegionClassifier", "warp_crops", "rcnn_forward", "fast_rcnn_forward", "detections_from_regions",
           "region_targets"]


class RegionClassifier(nn.Module):
    """Backbone (stride 2^len(widths)) + k x k region features + FC head -> (class logits K+1, deltas 4(K+1))."""

    def __init__(self, num_classes: int = 3, in_channels: int = 3, widths: tuple[int, ...] = (16, 32, 64),
                 roi_size: int = 4, hidden: int = 128, kernel_size: int = 3, convs_per_stage: int = 1):
        super().__init__()
        expect(convs_per_stage >= 1, "convs_per_stage", "an int >= 1", convs_per_stage)
        layers, c = [], in_channels
        for w in widths:                                           # VGG-like stages: convs, then 2x2 max pool
            for _ in range(convs_per_stage):
                layers += [Conv2d(c, w, kernel_size, padding=kernel_size // 2), nn.ReLU(inplace=True)]
                c = w
            layers.append(nn.MaxPool2d(2))
        self.backbone = nn.Sequential(*layers)
        self.stride, self.roi_size = 2 ** len(widths), roi_size
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * roi_size ** 2, hidden), nn.ReLU(inplace=True))
        self.cls = nn.Linear(hidden, num_classes + 1)
        self.box = nn.Linear(hidden, 4 * (num_classes + 1))
        self.num_classes = num_classes

    def classify(self, region_features: Tensor) -> tuple[Tensor, Tensor]:
        h = self.head(region_features)                             # (R, hidden)
        return self.cls(h), self.box(h)


def warp_crops(images: Tensor, boxes: list[Tensor], size: int) -> Tensor:
    """Crop each (integer-rounded) box from its image and resize it bilinearly to size x size: (R, C, size, size)."""
    crops = []
    H, W = images.shape[-2:]
    for img, bs in zip(images, boxes):
        for x1, y1, x2, y2 in bs.round().long().tolist():
            x1, y1 = min(max(x1, 0), W - 1), min(max(y1, 0), H - 1)
            x2, y2 = max(min(x2, W), x1 + 1), max(min(y2, H), y1 + 1)
            crops.append(F.interpolate(img[None, :, y1:y2, x1:x2], size=(size, size), mode="bilinear", align_corners=False))
    return torch.cat(crops) if crops else images.new_zeros(0, images.shape[1], size, size)


@syllabus("vision.rcnn")
def rcnn_forward(model: RegionClassifier, images: Tensor, proposals: list[Tensor]) -> tuple[Tensor, Tensor]:
    """R-CNN: the whole network on every warped crop. Returns (logits (R, K+1), deltas (R, 4(K+1)))."""
    crops = warp_crops(images, proposals, model.roi_size * model.stride)   # (R, C, k s, k s)
    return model.classify(model.backbone(crops))


@syllabus("vision.fast_rcnn")
def fast_rcnn_forward(model: RegionClassifier, images: Tensor, proposals: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Fast R-CNN: one backbone pass, RoI pooling per proposal, the same head."""
    expect(images.dim() == 4, "images", "a 4-D tensor (N, C, H, W)", tuple(images.shape))
    feats = model.backbone(images)                                 # (N, c, H/s, W/s)
    # a box covering pixels [x1, x2) maps to feature cells round(x1/s) .. round((x2 - s)/s)
    rois = [torch.cat([b[:, :2], torch.maximum(b[:, 2:] - model.stride, b[:, :2])], 1) for b in proposals]
    pooled = roi_pool(feats, rois, model.roi_size, 1.0 / model.stride)   # (R, c, k, k)
    return model.classify(pooled)


def region_targets(proposals: Tensor, gt_boxes: Tensor, gt_labels: Tensor, fg_iou: float = 0.5) -> tuple[Tensor, Tensor]:
    """(labels (R,) with 0 = background, regression targets (R, 4)) for one image's proposals."""
    from .boxes import box_iou
    if len(gt_boxes) == 0:
        return torch.zeros(len(proposals), dtype=torch.long), torch.zeros(len(proposals), 4)
    iou = box_iou(proposals, gt_boxes)                            # (R, G)
    best, idx = iou.max(1)
    labels = torch.where(best >= fg_iou, gt_labels[idx] + 1, torch.zeros_like(idx))
    return labels, encode_boxes(gt_boxes[idx], proposals, weights=(10.0, 10.0, 5.0, 5.0))


def detections_from_regions(proposals: Tensor, logits: Tensor, deltas: Tensor, image_size: tuple[int, int],
                            score_threshold: float = 0.3, iou_threshold: float = 0.4) -> tuple[Tensor, Tensor, Tensor]:
    """Best non-background class per region, its box correction, threshold and per-class NMS."""
    probs = logits.softmax(-1)
    scores, cls = probs[:, 1:].max(-1)                            # (R,)
    d = deltas.view(len(deltas), -1, 4)[torch.arange(len(deltas)), cls + 1]
    boxes = decode_boxes(d, proposals, weights=(10.0, 10.0, 5.0, 5.0))
    H, W = image_size
    boxes = torch.stack([boxes[:, 0].clamp(0, W), boxes[:, 1].clamp(0, H), boxes[:, 2].clamp(0, W),
                         boxes[:, 3].clamp(0, H)], 1)
    boxes = torch.maximum(boxes, torch.cat([boxes[:, :2], boxes[:, :2]], 1))
    keep = scores >= score_threshold
    boxes, scores, cls = boxes[keep], scores[keep], cls[keep]
    k = batched_nms(boxes, scores, cls, iou_threshold)
    return boxes[k], scores[k], cls[k]
