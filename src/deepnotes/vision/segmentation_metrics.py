"""Segmentation metrics from the pixel confusion matrix: pixel accuracy, per-class IoU, mIoU, Dice.

Syllabus: vision.segmentation_metrics. Notes: 001 S12.01; 002 §5.2p (the notes define the task
but no metric; these are the standard ones).

With TP_c, FP_c, FN_c counted over all pixels for class c:

    pixel accuracy = sum_c TP_c / #pixels
    IoU_c  = TP_c / (TP_c + FP_c + FN_c)          mIoU = mean of IoU_c over classes present
    Dice_c = 2 TP_c / (2 TP_c + FP_c + FN_c)      (the F1 score of the class's pixels)
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["confusion_matrix", "pixel_accuracy", "iou_per_class", "mean_iou", "dice_per_class", "mean_dice"]


@syllabus("vision.segmentation_metrics")
def confusion_matrix(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """(K, K) counts: rows = true class, columns = predicted class."""
    pred, target = torch.as_tensor(pred).flatten().long(), torch.as_tensor(target).flatten().long()
    expect(pred.shape == target.shape, "pred", f"the target's number of pixels {target.numel()}", pred.numel())
    for name, t in (("pred", pred), ("target", target)):
        if t.numel():
            expect(int(t.min()) >= 0 and int(t.max()) < num_classes, name, f"class ids in [0, {num_classes})",
                   (int(t.min()), int(t.max())))
    return torch.bincount(target * num_classes + pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def pixel_accuracy(pred: Tensor, target: Tensor, num_classes: int) -> float:
    cm = confusion_matrix(pred, target, num_classes)
    return float(cm.diag().sum() / cm.sum().clamp(min=1))


@syllabus("vision.segmentation_metrics")
def iou_per_class(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """(K,) IoU per class; NaN for a class absent from both prediction and target."""
    cm = confusion_matrix(pred, target, num_classes).double()
    tp = cm.diag()
    denom = cm.sum(0) + cm.sum(1) - tp
    return torch.where(denom > 0, tp / denom.clamp(min=1), torch.full_like(tp, float("nan")))


def mean_iou(pred: Tensor, target: Tensor, num_classes: int) -> float:
    return float(iou_per_class(pred, target, num_classes).nanmean())


@syllabus("vision.segmentation_metrics")
def dice_per_class(pred: Tensor, target: Tensor, num_classes: int) -> Tensor:
    cm = confusion_matrix(pred, target, num_classes).double()
    tp = cm.diag()
    denom = cm.sum(0) + cm.sum(1)
    return torch.where(denom > 0, 2 * tp / denom.clamp(min=1), torch.full_like(tp, float("nan")))


def mean_dice(pred: Tensor, target: Tensor, num_classes: int) -> float:
    return float(dice_per_class(pred, target, num_classes).nanmean())
