"""Box formats and IoU (boxes and masks) against closed forms and an exact area computation."""
import random

import numpy as np
import pytest
import torch

from deepnotes.vision import box_convert, box_iou, denormalize_boxes, mask_iou, normalize_boxes


@pytest.mark.syllabus("vision.bbox_format")
def test_round_trips_and_known_values():
    torch.manual_seed(0)
    xy = torch.rand(50, 2) * 100
    wh = torch.rand(50, 2) * 50 + 1
    xyxy = torch.cat([xy, xy + wh], 1).double()
    for fmt in ("cxcywh", "xywh"):
        torch.testing.assert_close(box_convert(box_convert(xyxy, "xyxy", fmt), fmt, "xyxy"), xyxy)
    b = torch.tensor([[10.0, 20.0, 30.0, 60.0]])
    assert box_convert(b, "xyxy", "cxcywh").tolist() == [[20.0, 40.0, 20.0, 40.0]]
    assert box_convert(b, "xyxy", "xywh").tolist() == [[10.0, 20.0, 20.0, 40.0]]
    assert box_convert(torch.tensor([[20.0, 40.0, 20.0, 40.0]]), "cxcywh", "xywh").tolist() == [[10.0, 20.0, 20.0, 40.0]]
    n = normalize_boxes(b, 100, 200)
    torch.testing.assert_close(n, torch.tensor([[0.1, 0.1, 0.3, 0.3]]))
    torch.testing.assert_close(denormalize_boxes(n, 100, 200), b)
    with pytest.raises(ValueError, match="in_fmt"):
        box_convert(b, "yxyx", "xyxy")


@pytest.mark.syllabus("vision.iou")
def test_iou_closed_form_and_rasterised_reference():
    assert box_iou(torch.tensor([[0.0, 0, 2, 2]]), torch.tensor([[1.0, 1, 3, 3]])).item() == pytest.approx(1 / 7)
    a = torch.tensor([[0.0, 0, 2, 2]])
    assert box_iou(a, a).item() == 1.0 and box_iou(a, torch.tensor([[5.0, 5, 6, 6]])).item() == 0.0
    rng = random.Random(0)
    b1 = torch.tensor([[x, y, x + rng.randint(1, 10), y + rng.randint(1, 10)] for x, y in
                       [(rng.randint(0, 10), rng.randint(0, 10)) for _ in range(12)]], dtype=torch.float64)
    b2 = torch.tensor([[x, y, x + rng.randint(1, 10), y + rng.randint(1, 10)] for x, y in
                       [(rng.randint(0, 10), rng.randint(0, 10)) for _ in range(9)]], dtype=torch.float64)
    # integer boxes rasterised on a grid: pixel-count IoU is exact
    def raster(b):
        m = torch.zeros(len(b), 21, 21, dtype=torch.bool)
        for i, (x1, y1, x2, y2) in enumerate(b.long().tolist()):
            m[i, y1:y2, x1:x2] = True
        return m
    torch.testing.assert_close(box_iou(b1, b2), mask_iou(raster(b1), raster(b2)))
    with pytest.raises(ValueError, match="x2 >= x1"):
        box_iou(torch.tensor([[3.0, 0, 1, 2]]), a)


@pytest.mark.syllabus("vision.iou")
def test_mask_iou_equals_jaccard():
    from sklearn.metrics import jaccard_score
    rng = np.random.default_rng(0)
    m1, m2 = rng.random((3, 8, 8)) > 0.5, rng.random((4, 8, 8)) > 0.5
    iou = mask_iou(torch.tensor(m1), torch.tensor(m2))
    for i in range(3):
        for j in range(4):
            assert iou[i, j].item() == pytest.approx(jaccard_score(m2[j].ravel(), m1[i].ravel()))
