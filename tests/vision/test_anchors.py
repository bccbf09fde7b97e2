"""Anchors, the offset encoding, and k-means anchor selection."""
import math

import pytest
import torch

from deepnotes.vision import (box_convert, decode_boxes, encode_boxes, kmeans_anchors, make_anchors, mean_best_iou)


@pytest.mark.syllabus("vision.anchor_boxes")
def test_anchor_count_shapes_and_round_trip():
    a = make_anchors((5, 7), 16, scales=(32, 64), ratios=(0.5, 1, 2))
    assert a.shape == (5 * 7 * 6, 4)
    cxcywh = box_convert(a, "xyxy", "cxcywh")
    assert torch.allclose(cxcywh[:6, :2], torch.tensor([8.0, 8.0]))            # first cell's centre
    cell = 1 * 7 + 2                                                            # row 1, column 2, cell-major
    assert torch.allclose(cxcywh[6 * cell:6 * cell + 6, :2], torch.tensor([2.5 * 16, 1.5 * 16]))   # (x, y)
    torch.testing.assert_close(cxcywh[:, 2] * cxcywh[:, 3], torch.tensor([32.0 ** 2] * 3 + [64.0 ** 2] * 3).repeat(35))
    torch.testing.assert_close(cxcywh[:3, 3] / cxcywh[:3, 2], torch.tensor([0.5, 1.0, 2.0]))
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(len(a), 2, generator=g) * 100
    boxes = torch.cat([xy, xy + torch.rand(len(a), 2, generator=g) * 60 + 1], 1).double()
    t = encode_boxes(boxes, a.double())
    torch.testing.assert_close(decode_boxes(t, a.double()), boxes)
    # the definition on one hand-made pair
    anchor, box = torch.tensor([[0.0, 0, 10, 20]]), torch.tensor([[2.0, 4, 22, 14]])
    torch.testing.assert_close(encode_boxes(box, anchor), torch.tensor([[0.7, -0.05, math.log(2), math.log(0.5)]]))


@pytest.mark.syllabus("vision.anchor_kmeans")
def test_kmeans_recovers_three_shapes_and_beats_euclidean():
    g = torch.Generator().manual_seed(0)
    true = torch.tensor([[10.0, 10.0], [40.0, 20.0], [15.0, 60.0]])
    wh = torch.cat([t * (1 + 0.03 * torch.randn(200, 2, generator=g)) for t in true])
    found = kmeans_anchors(wh, 3, seed=0)
    from deepnotes.vision import wh_iou
    # centred-box IoU written out here, not our wh_iou: min(w) min(h) / (w h + w' h' - min(w) min(h))
    inter = torch.minimum(true[:, None, 0], found[None, :, 0]) * torch.minimum(true[:, None, 1], found[None, :, 1])
    iou = inter / (true.prod(1)[:, None] + found.prod(1)[None, :] - inter)
    assert (iou.max(1).values > 0.95).all()
    torch.testing.assert_close(wh_iou(true.double(), found), iou.double())
    # a mix of many small and a few large boxes: IoU k-means fits small ones better than Euclidean
    small = torch.rand(300, 2, generator=g) * 10 + 2
    large = torch.rand(60, 2, generator=g) * 150 + 50
    mix = torch.cat([small, large])
    assert mean_best_iou(mix, kmeans_anchors(mix, 4, seed=1)) >= mean_best_iou(mix, kmeans_anchors(mix, 4, seed=1, metric="euclidean"))
    with pytest.raises(ValueError, match="k"):
        kmeans_anchors(wh, 0)
