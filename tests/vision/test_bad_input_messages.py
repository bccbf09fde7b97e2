"""Issue 4's bad-input list for the vision family: boxes with x2 < x1, targets out of range and images of
the wrong rank raise ValueError naming the argument, what was expected and what was given."""
import re

import pytest
import torch

from deepnotes.vision import (LocalizationNet, SmallBackbone, TinyYOLO, TinyYOLOv3, average_precision, box_filter,
                              box_iou, confusion_matrix, gaussian_filter, gaussian_pyramid, iou_per_class, mask_iou,
                              nms, sobel, yolo_targets)

BAD = torch.tensor([[3.0, 0.0, 1.0, 2.0]])                       # x2 < x1
OK = torch.tensor([[0.0, 0.0, 1.0, 1.0]])


def given(value):
    return re.escape(repr(value))


@pytest.mark.syllabus("vision.iou", "vision.nms", "vision.average_precision")
def test_boxes_with_x2_below_x1():
    msg = r"expected x2 >= x1 and y2 >= y1 for every box, got " + given([[3.0, 0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="boxes1: " + msg):
        box_iou(BAD, OK)
    with pytest.raises(ValueError, match="boxes2: " + msg):
        box_iou(OK, BAD)
    with pytest.raises(ValueError, match="boxes: " + msg):
        nms(BAD, torch.tensor([0.5]))
    with pytest.raises(ValueError, match=msg):
        average_precision([BAD], [torch.tensor([0.5])], [OK])


@pytest.mark.syllabus("vision.yolo", "vision.segmentation_metrics")
def test_targets_out_of_range():
    with pytest.raises(ValueError, match=r"labels: expected class ids in \[0, 3\), got \[5\]"):
        yolo_targets([OK * 5], [torch.tensor([5])], (10, 10), S=2, num_classes=3)
    with pytest.raises(ValueError, match=r"target: expected class ids in \[0, 4\), got \(0, 7\)"):
        confusion_matrix(torch.zeros(4, dtype=torch.long), torch.tensor([0, 7, 1, 2]), 4)
    with pytest.raises(ValueError, match=r"pred: expected class ids in \[0, 3\), got \(-1, 2\)"):
        iou_per_class(torch.tensor([-1, 2]), torch.tensor([0, 1]), 3)


@pytest.mark.syllabus("cnn.box_filter", "cnn.gaussian_filter", "cnn.derivative_filters", "vision.gaussian_pyramid")
def test_filters_want_a_2d_image():
    for fn in (sobel, gaussian_filter, box_filter, gaussian_pyramid):
        with pytest.raises(ValueError, match=r"image: expected a 2-D \(H, W\) grey image, got \(3, 8, 9\)"):
            fn(torch.rand(3, 8, 9))


@pytest.mark.syllabus("vision.yolo", "vision.yolov3_multiscale", "vision.localization", "vision.fpn", "vision.iou")
def test_networks_want_a_4d_batch():
    for net in (TinyYOLO(3), TinyYOLOv3(3, width=2), LocalizationNet(3), SmallBackbone(3)):
        with pytest.raises(ValueError, match=r"x: expected a 4-D tensor \(N, C, H, W\), got \(3, 64, 64\)"):
            net(torch.rand(3, 64, 64))
    with pytest.raises(ValueError, match=r"masks: expected .*got \(\(4, 4\), \(4, 4\)\)"):
        mask_iou(torch.ones(4, 4), torch.ones(4, 4))
