"""YOLO (v1 layout): one network pass predicts an S x S grid of boxes, objectness and classes.

Syllabus: vision.yolo, vision.yolo_loss. Notes: 001 S13.14-S13.31 (S13.17-S13.21, S13.25-S13.31);
002 §5.2j.

The image is divided into S x S cells (S = 7). Each cell predicts B boxes (x, y, w, h, confidence)
and C class probabilities: an S x S x (5B + C) tensor (7 x 7 x 30 for PASCAL's 20 classes).
(x, y) is the box centre as an offset inside the cell, (w, h) are relative to the image. The cell
containing an object's centre is responsible for it, and of its B predictors the one with the
highest IoU with the object. At test time score = confidence x class probability, then a
threshold and NMS. YOLOv1 itself has 24 conv + 2 FC layers; 001 files the grid under "residual
blocks" and draws "1 conv -> 2 FC". :class:`TinyYOLO` keeps the conv-then-FC layout at CPU size.

The loss (lambda_coord = 5, lambda_noobj = 0.5; 1^obj the responsible predictor):

    lambda_coord sum 1^obj [(x - x^)^2 + (y - y^)^2 + (sqrt w - sqrt w^)^2 + (sqrt h - sqrt h^)^2]
  + sum 1^obj (C - C^)^2 + lambda_noobj sum 1^noobj (C - C^)^2
  + sum_cells 1^obj_cell sum_c (p(c) - p^(c))^2

(001's total leaves out the two confidence terms that lambda_noobj weights.) The confidence
target C is 1 (``conf_target='one'``) or, as in the paper, the IoU of the predicted box with the
object (``'iou'``). The loss is summed over the grid and averaged over the batch.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.conv import Conv2d
from .boxes import box_convert, box_iou
from .nms import batched_nms

__all__ = ["TinyYOLO", "yolo_targets", "yolo_loss", "yolo_decode"]


@syllabus("vision.yolo")
class TinyYOLO(nn.Module):
    """conv stack -> S x S grid of (5B + C) values; sigmoid on boxes/confidences, softmax on classes.

    ``head='fc'`` is v1's layout (pool the map to S x S, FC, FC); ``head='conv'`` predicts each cell
    with a 1x1 conv on the stride-2^(len(widths)-1) map (S = input size / stride), which needs far
    less data on small images.
    """

    def __init__(self, num_classes: int = 20, S: int = 7, B: int = 2, in_channels: int = 3,
                 widths: tuple[int, ...] = (16, 32, 64, 64), hidden: int = 256, head: str = "fc"):
        super().__init__()
        expect(head in ("fc", "conv"), "head", "'fc' or 'conv'", head)
        layers, c = [], in_channels
        for i, w in enumerate(widths):
            layers += [Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.LeakyReLU(0.1)]
            if head == "fc" or i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c = w
        out = 5 * B + num_classes
        if head == "fc":
            self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(S))
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * S * S, hidden), nn.LeakyReLU(0.1),
                                      nn.Linear(hidden, S * S * out))
        else:
            self.features = nn.Sequential(*layers, Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.LeakyReLU(0.1))
            self.head = Conv2d(c, out, 1)
        self.S, self.B, self.C, self.kind = S, B, num_classes, head

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 4, "x", "a 4-D tensor (N, C, H, W)", tuple(x.shape))
        h = self.features(x)
        if self.kind == "fc":
            out = self.head(h).view(-1, self.S, self.S, 5 * self.B + self.C)   # (N, S, S, 5B+C)
        else:
            out = self.head(h).permute(0, 2, 3, 1)                              # (N, S, S, 5B+C)
        boxes = torch.sigmoid(out[..., :5 * self.B])
        probs = torch.softmax(out[..., 5 * self.B:], -1)
        return torch.cat([boxes, probs], -1)


@syllabus("vision.yolo")
def yolo_targets(boxes: list[Tensor], labels: list[Tensor], image_size: tuple[int, int], S: int = 7,
                 num_classes: int = 20) -> Tensor:
    """(N, S, S, 5 + C) targets: [x_cell, y_cell, w, h, 1, one-hot class] in the responsible cell, zeros elsewhere."""
    H, W = image_size
    t = torch.zeros(len(boxes), S, S, 5 + num_classes)
    for n, (b, l) in enumerate(zip(boxes, labels)):
        if len(l):
            expect(int(l.min()) >= 0 and int(l.max()) < num_classes, "labels", f"class ids in [0, {num_classes})",
                   l.tolist())
        c = box_convert(torch.as_tensor(b, dtype=torch.float32).reshape(-1, 4), "xyxy", "cxcywh")
        for (cx, cy, w, h), cls in zip(c.tolist(), l.tolist()):
            gx, gy = cx / W * S, cy / H * S
            j, i = min(int(gx), S - 1), min(int(gy), S - 1)      # the cell containing the centre
            t[n, i, j, :5] = torch.tensor([gx - j, gy - i, w / W, h / H, 1.0])
            t[n, i, j, 5:] = 0
            t[n, i, j, 5 + cls] = 1.0
    return t


def _cell_boxes_to_xyxy(b: Tensor, S: int) -> Tensor:
    """(..., 4) (x_cell, y_cell, w, h) with the cell index grid -> normalised xyxy; b is (N, S, S, 4)."""
    i = torch.arange(S, dtype=b.dtype).view(1, S, 1)
    j = torch.arange(S, dtype=b.dtype).view(1, 1, S)
    cx, cy = (b[..., 0] + j) / S, (b[..., 1] + i) / S
    return torch.stack([cx - b[..., 2] / 2, cy - b[..., 3] / 2, cx + b[..., 2] / 2, cy + b[..., 3] / 2], -1)


@syllabus("vision.yolo_loss")
def yolo_loss(pred: Tensor, target: Tensor, B: int = 2, lambda_coord: float = 5.0, lambda_noobj: float = 0.5,
              conf_target: str = "one", return_parts: bool = False):
    """YOLOv1's sum-squared loss, averaged over the batch; ``pred`` (N, S, S, 5B + C), ``target`` (N, S, S, 5 + C)."""
    expect(pred.dim() == 4 and pred.shape[1] == pred.shape[2], "pred", "an (N, S, S, 5B + C) tensor", tuple(pred.shape))
    C = pred.shape[-1] - 5 * B
    expect(target.shape == (*pred.shape[:3], 5 + C), "target", f"shape {(*pred.shape[:3], 5 + C)}", tuple(target.shape))
    expect(conf_target in ("one", "iou"), "conf_target", "'one' or 'iou'", conf_target)
    N, S = pred.shape[:2]
    boxes = pred[..., :5 * B].reshape(N, S, S, B, 5)            # (N, S, S, B, 5)
    obj = target[..., 4] > 0                                     # (N, S, S) cells with an object
    gt_xyxy = _cell_boxes_to_xyxy(target[..., :4], S)            # (N, S, S, 4)
    pr_xyxy = torch.stack([_cell_boxes_to_xyxy(boxes[..., k, :4], S) for k in range(B)], 3)   # (N, S, S, B, 4)
    with torch.no_grad():                                        # IoU of every predictor with its cell's object
        iou = _pairwise_iou(pr_xyxy, gt_xyxy[..., None, :].expand_as(pr_xyxy))          # (N, S, S, B)
    best = iou.argmax(-1)                                        # responsible predictor per cell
    resp = torch.nn.functional.one_hot(best, B).bool() & obj[..., None]                  # (N, S, S, B)
    t = target[..., None, :4].expand(N, S, S, B, 4)
    coord = ((boxes[..., 0] - t[..., 0]) ** 2 + (boxes[..., 1] - t[..., 1]) ** 2
             + (boxes[..., 2].clamp(min=0).sqrt() - t[..., 2].sqrt()) ** 2
             + (boxes[..., 3].clamp(min=0).sqrt() - t[..., 3].sqrt()) ** 2)              # (N, S, S, B)
    conf_t = iou if conf_target == "iou" else torch.ones_like(iou)
    obj_conf = (boxes[..., 4] - conf_t) ** 2
    noobj_conf = boxes[..., 4] ** 2
    cls = ((pred[..., 5 * B:] - target[..., 5:]) ** 2).sum(-1)                           # (N, S, S)
    parts = {"coord": lambda_coord * coord[resp].sum() / N, "obj": obj_conf[resp].sum() / N,
             "noobj": lambda_noobj * noobj_conf[~resp].sum() / N, "class": cls[obj].sum() / N}
    total = sum(parts.values())
    return (total, parts) if return_parts else total


def _pairwise_iou(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise IoU of two (..., 4) xyxy tensors of the same shape."""
    lt, rb = torch.maximum(a[..., :2], b[..., :2]), torch.minimum(a[..., 2:], b[..., 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda x: (x[..., 2] - x[..., 0]).clamp(min=0) * (x[..., 3] - x[..., 1]).clamp(min=0)  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union.clamp(min=1e-12)


@syllabus("vision.yolo")
def yolo_decode(pred: Tensor, image_size: tuple[int, int], B: int = 2, conf_threshold: float = 0.2,
                iou_threshold: float = 0.5) -> list[tuple[Tensor, Tensor, Tensor]]:
    """Per image (boxes xyxy in pixels, scores = conf x class prob, labels) after thresholding and per-class NMS."""
    N, S = pred.shape[:2]
    H, W = image_size
    boxes = pred[..., :5 * B].reshape(N, S, S, B, 5)
    probs, labels = pred[..., 5 * B:].max(-1)                    # (N, S, S)
    xyxy = torch.stack([_cell_boxes_to_xyxy(boxes[..., k, :4], S) for k in range(B)], 3)   # (N, S, S, B, 4)
    xyxy = xyxy * torch.tensor([W, H, W, H], dtype=pred.dtype)
    scores = boxes[..., 4] * probs[..., None]                    # (N, S, S, B)
    out = []
    for n in range(N):
        b, s = xyxy[n].reshape(-1, 4), scores[n].reshape(-1)
        l = labels[n][..., None].expand(S, S, B).reshape(-1)
        keep = s >= conf_threshold
        b, s, l = b[keep], s[keep], l[keep]
        k = batched_nms(b, s, l, iou_threshold)
        out.append((b[k], s[k], l[k]))
    return out
