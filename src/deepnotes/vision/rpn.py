"""Region Proposal Network and Faster R-CNN.

Syllabus: vision.faster_rcnn_rpn. Notes: 001 S13.13; 002 §5.2o.

The RPN slides a 3x3 conv over the backbone's feature map; at every position, for each of its A
anchors, a 1x1 conv predicts 2 objectness scores (object / not object) and 4 box offsets (the
anchor encoding t_x, t_y, t_w, t_h): outputs (N, 2A, H, W) and (N, 4A, H, W). Anchors with
IoU >= 0.7 with a ground-truth box (or the best anchor of each box) are positives, IoU < 0.3
negatives. At test time the decoded boxes are ranked by objectness, clipped, NMS-ed, and the
top N become the proposals of a Fast R-CNN head on the same features: Faster R-CNN.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from .anchors import decode_boxes, encode_boxes, make_anchors
from .boxes import box_iou
from .nms import nms

__all__ = ["RegionProposalNetwork", "rpn_targets", "rpn_loss", "rpn_proposals"]


@syllabus("vision.faster_rcnn_rpn")
class RegionProposalNetwork(nn.Module):
    def __init__(self, in_channels: int, num_anchors: int, mid_channels: int | None = None):
        super().__init__()
        mid = mid_channels or in_channels
        self.conv = Conv2d(in_channels, mid, 3, padding=1)
        self.cls_logits = Conv2d(mid, 2 * num_anchors, 1)
        self.bbox_pred = Conv2d(mid, 4 * num_anchors, 1)
        self.A = num_anchors

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        h = F.relu(self.conv(features))
        return self.cls_logits(h), self.bbox_pred(h)               # (N, 2A, H, W), (N, 4A, H, W)

    def flatten(self, logits: Tensor, deltas: Tensor) -> tuple[Tensor, Tensor]:
        """(N, H*W*A, 2) and (N, H*W*A, 4), cell-major like :func:`make_anchors`."""
        N, _, H, W = logits.shape
        lg = logits.view(N, self.A, 2, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, 2)
        dl = deltas.view(N, self.A, 4, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, 4)
        return lg, dl


def rpn_targets(anchors: Tensor, gt_boxes: Tensor, pos_iou: float = 0.7, neg_iou: float = 0.3) -> tuple[Tensor, Tensor]:
    """(labels (A,) 1 / 0 / -1 ignore, regression targets (A, 4)) for one image."""
    labels = torch.full((len(anchors),), -1, dtype=torch.long)
    if len(gt_boxes) == 0:
        labels[:] = 0
        return labels, torch.zeros(len(anchors), 4)
    iou = box_iou(anchors, gt_boxes)                              # (A, G)
    best, idx = iou.max(1)
    labels[best < neg_iou] = 0
    labels[best >= pos_iou] = 1
    labels[iou.argmax(0)] = 1                                     # every box gets its best anchor
    return labels, encode_boxes(gt_boxes[idx], anchors)


def rpn_loss(logits: Tensor, deltas: Tensor, labels: Tensor, targets: Tensor, batch: int = 256,
             generator: torch.Generator | None = None) -> Tensor:
    """Cross-entropy on a sampled batch of anchors (up to half positive) + smooth-L1 on the positives."""
    pos, neg = torch.nonzero(labels == 1).flatten(), torch.nonzero(labels == 0).flatten()
    pos = pos[torch.randperm(len(pos), generator=generator)[:batch // 2]]
    neg = neg[torch.randperm(len(neg), generator=generator)[:batch - len(pos)]]
    idx = torch.cat([pos, neg])
    cls = F.cross_entropy(logits[idx], labels[idx])
    reg = F.smooth_l1_loss(deltas[pos], targets[pos], beta=1 / 9, reduction="sum") / max(len(idx), 1)
    return cls + reg


@syllabus("vision.faster_rcnn_rpn")
def rpn_proposals(logits: Tensor, deltas: Tensor, anchors: Tensor, image_size: tuple[int, int], pre_nms: int = 1000,
                  post_nms: int = 100, iou_threshold: float = 0.7, min_size: float = 1.0) -> tuple[Tensor, Tensor]:
    """One image's (H*W*A, 2) logits and (H*W*A, 4) deltas -> (proposals (<= post_nms, 4), objectness)."""
    expect(logits.shape[0] == len(anchors), "logits", f"one row per anchor ({len(anchors)})", tuple(logits.shape))
    score = logits.softmax(-1)[:, 1]
    top = score.topk(min(pre_nms, len(score))).indices
    boxes = decode_boxes(deltas[top], anchors[top])
    H, W = image_size
    boxes = torch.stack([boxes[:, 0].clamp(0, W), boxes[:, 1].clamp(0, H), boxes[:, 2].clamp(0, W), boxes[:, 3].clamp(0, H)], 1)
    ok = ((boxes[:, 2] - boxes[:, 0]) >= min_size) & ((boxes[:, 3] - boxes[:, 1]) >= min_size)
    boxes, s = boxes[ok], score[top][ok]
    keep = nms(boxes, s, iou_threshold)[:post_nms]
    return boxes[keep], s[keep]
