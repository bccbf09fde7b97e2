"""YOLO: output layout, target assignment, the loss by hand, decoding, multi-scale box count."""
import math

import pytest
import torch

from deepnotes.vision import TinyYOLO, TinyYOLOv3, decode_yolo_grid, yolo_decode, yolo_loss, yolo_targets, yolov3_num_boxes


@pytest.mark.syllabus("vision.yolo")
def test_output_7x7x30_and_target_assignment():
    assert TinyYOLO(num_classes=20)(torch.randn(2, 3, 64, 64)).shape == (2, 7, 7, 30)
    boxes = [torch.tensor([[10.0, 10.0, 30.0, 50.0], [60.0, 0.0, 70.0, 6.0]])]   # centres (20, 30), (65, 3)
    t = yolo_targets(boxes, [torch.tensor([2, 0])], (70, 70), S=7, num_classes=3)
    assert t[0, ..., 4].sum() == 2
    assert t[0, 3, 2, 4] == 1 and t[0, 0, 6, 4] == 1               # rows = y cell, columns = x cell
    torch.testing.assert_close(t[0, 3, 2, :4], torch.tensor([0.0, 0.0, 20 / 70, 40 / 70]))
    assert t[0, 3, 2, 5:].tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="labels"):
        yolo_targets(boxes, [torch.tensor([2, 5])], (70, 70), S=7, num_classes=3)


@pytest.mark.syllabus("vision.yolo_loss")
def test_loss_hand_computed_on_2x2_grid():
    S, B, C = 2, 2, 2
    target = torch.zeros(1, S, S, 5 + C, dtype=torch.float64)
    target[0, 0, 1] = torch.tensor([0.5, 0.25, 0.36, 0.16, 1.0, 0.0, 1.0], dtype=torch.float64)
    pred = torch.zeros(1, S, S, 5 * B + C, dtype=torch.float64)
    pred[0, 0, 1] = torch.tensor([0.4, 0.3, 0.25, 0.09, 0.8, 0.9, 0.9, 0.01, 0.01, 0.6, 0.3, 0.7], dtype=torch.float64)
    pred[0, 0, 0, [4, 9]] = torch.tensor([0.1, 0.2], dtype=torch.float64)
    pred[0, 1, 0, [4, 9]] = torch.tensor([0.3, 0.0], dtype=torch.float64)
    pred[0, 1, 1, [4, 9]] = torch.tensor([0.0, 0.4], dtype=torch.float64)
    pred[0, 1, 0, 10:] = torch.tensor([0.5, 0.5], dtype=torch.float64)   # class scores of an empty cell: not penalised
    coord = 5 * ((0.4 - 0.5) ** 2 + (0.3 - 0.25) ** 2 + (0.5 - 0.6) ** 2 + (0.3 - 0.4) ** 2)
    obj = (0.8 - 1) ** 2
    noobj = 0.5 * (0.6 ** 2 + 0.1 ** 2 + 0.2 ** 2 + 0.3 ** 2 + 0.4 ** 2)
    cls = 0.3 ** 2 + 0.3 ** 2
    total, parts = yolo_loss(pred, target, B=B, return_parts=True)
    assert total.item() == pytest.approx(coord + obj + noobj + cls, abs=1e-9)
    assert parts["coord"].item() == pytest.approx(coord, abs=1e-9) and parts["noobj"].item() == pytest.approx(noobj, abs=1e-9)
    # perfect predictions: zero loss
    perfect = torch.zeros_like(pred)
    perfect[0, 0, 1, :5] = target[0, 0, 1, :5]
    perfect[0, 0, 1, 10:] = target[0, 0, 1, 5:]
    assert yolo_loss(perfect, target, B=B).item() == 0.0
    with pytest.raises(ValueError, match="target"):
        yolo_loss(pred, target[..., :5], B=B)


@pytest.mark.syllabus("vision.yolo")
def test_decode_thresholds_and_nms():
    S, B, C = 2, 2, 1
    pred = torch.zeros(1, S, S, 5 * B + C)
    pred[0, 0, 0] = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.9, 0.5, 0.5, 0.49, 0.49, 0.8, 1.0])   # two near-duplicates
    pred[0, 1, 1] = torch.tensor([0.5, 0.5, 0.2, 0.2, 0.05, 0, 0, 0, 0, 0, 1.0])               # below threshold
    (boxes, scores, labels), = yolo_decode(pred, (100, 100), B=B, conf_threshold=0.2)
    assert len(boxes) == 1 and scores.item() == pytest.approx(0.9)
    torch.testing.assert_close(boxes[0], torch.tensor([0.0, 0.0, 50.0, 50.0]))


@pytest.mark.syllabus("vision.yolo_box_decoding")
def test_v2_decoding_values():
    logit = lambda p: math.log(p / (1 - p))
    t = torch.zeros(1, 1, 7, 7, 4, dtype=torch.float64)
    t[0, 0, 6, 6] = torch.tensor([logit(0.4), logit(0.7), 0.0, math.log(2.0)])
    b = decode_yolo_grid(t, torch.tensor([[1.5, 3.0]], dtype=torch.float64))
    torch.testing.assert_close(b[0, 0, 6, 6], torch.tensor([6.4, 6.7, 1.5, 6.0], dtype=torch.float64))
    assert b[0, 0, 2, 3, 2].item() == pytest.approx(1.5)         # t_w = 0 returns the anchor width
    # off the diagonal of a non-square grid, second anchor, stride: b_x uses the column, b_y the row
    t = torch.zeros(2, 2, 3, 5, 4, dtype=torch.float64)
    t[1, 1, 2, 4] = torch.tensor([logit(0.25), logit(0.5), math.log(3.0), 0.0])
    anchors = torch.tensor([[1.0, 1.0], [2.0, 0.5]], dtype=torch.float64)
    b = decode_yolo_grid(t, anchors, stride=8.0)
    torch.testing.assert_close(b[1, 1, 2, 4], torch.tensor([4.25, 2.5, 6.0, 0.5], dtype=torch.float64) * 8)
    torch.testing.assert_close(b[0, 0, 1, 3], torch.tensor([3.5, 1.5, 1.0, 1.0], dtype=torch.float64) * 8)


@pytest.mark.syllabus("vision.yolov3_multiscale")
def test_yolov3_416_gives_10647_boxes_of_85():
    assert yolov3_num_boxes(416) == 10647 == 3 * (13 ** 2 + 26 ** 2 + 52 ** 2)
    out = TinyYOLOv3(80, width=2)(torch.randn(1, 3, 416, 416))
    assert out.shape == (1, 10647, 85)
    assert ((out[..., 4:] > 0) & (out[..., 4:] < 1)).all()       # independent sigmoid scores
