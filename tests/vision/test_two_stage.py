"""Selective search recall, R-CNN vs Fast R-CNN, and the RPN."""
import math

import pytest
import torch

from deepnotes.data import load
from deepnotes.nn import Conv2d
from deepnotes.vision import (RegionClassifier, RegionProposalNetwork, box_iou, fast_rcnn_forward, make_anchors,
                              rcnn_forward, rpn_proposals, rpn_targets, selective_search, warp_crops)


@pytest.mark.syllabus("vision.selective_search")
def test_selective_search_recall_on_shapes():
    ds = load("shapes", split="test", n=6, size=64, seed=0)
    hit = total = 0
    for i in range(len(ds)):
        img, t = ds[i]
        props = selective_search(img)
        assert len(props) <= 500
        best = box_iou(t["boxes"], props).max(1).values
        hit += int((best >= 0.5).sum())
        total += len(best)
    assert hit / total >= 0.9
    with pytest.raises(ValueError, match="image"):
        selective_search(torch.rand(64, 64))


@pytest.mark.syllabus("vision.rcnn")
def test_rcnn_logits_equal_classifier_on_warped_crops():
    torch.manual_seed(0)
    m = RegionClassifier(3, widths=(4, 8), roi_size=4)
    imgs = torch.rand(2, 3, 40, 40)
    props = [torch.tensor([[0.0, 0, 20, 20], [5.0, 7, 30, 39]]), torch.tensor([[10.0, 10, 12, 30]])]
    logits, deltas = rcnn_forward(m, imgs, props)
    assert logits.shape == (3, 4) and deltas.shape == (3, 16)
    crop = torch.nn.functional.interpolate(imgs[0:1, :, 7:39, 5:30], size=(16, 16), mode="bilinear", align_corners=False)
    torch.testing.assert_close(warp_crops(imgs, props, 16)[1:2], crop)
    torch.testing.assert_close(logits[1:2], m.classify(m.backbone(crop))[0])


@pytest.mark.syllabus("vision.fast_rcnn", "vision.roi_pool")
@pytest.mark.parametrize("convs_per_stage", [1, 3])
def test_fast_rcnn_equals_rcnn_when_rois_align_with_the_grid(convs_per_stage):
    torch.manual_seed(0)
    m = RegionClassifier(3, widths=(4, 8), roi_size=4, kernel_size=1,   # 1x1 convs: no border effects
                         convs_per_stage=convs_per_stage)
    assert sum(isinstance(l, Conv2d) for l in m.backbone) == 2 * convs_per_stage and m.stride == 4
    imgs = torch.rand(1, 3, 48, 48)
    props = [torch.tensor([[0.0, 0, 16, 16], [8.0, 16, 24, 32], [32.0, 32, 48, 48]])]   # stride 4, 16 = 4 x 4 cells
    a, b = rcnn_forward(m, imgs, props), fast_rcnn_forward(m, imgs, props)
    torch.testing.assert_close(a[0], b[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a[1], b[1], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="convs_per_stage"):
        RegionClassifier(3, convs_per_stage=0)


@pytest.mark.syllabus("vision.faster_rcnn_rpn")
def test_rpn_shapes_targets_and_proposals():
    A = 6
    rpn = RegionProposalNetwork(16, A)
    f = torch.randn(2, 16, 8, 10)
    logits, deltas = rpn(f)
    assert logits.shape == (2, 2 * A, 8, 10) and deltas.shape == (2, 4 * A, 8, 10)
    anchors = make_anchors((8, 10), 8, scales=(16, 32), ratios=(0.5, 1, 2))
    lg, dl = rpn.flatten(logits, deltas)
    assert lg.shape == (2, 8 * 10 * A, 2) and len(anchors) == 8 * 10 * A
    gt = torch.tensor([[10.0, 10, 40, 40]])
    labels, targets = rpn_targets(anchors, gt)
    assert labels[box_iou(anchors, gt).argmax(0)].item() == 1 and (labels == 0).sum() > 0
    props, scores = rpn_proposals(lg[0].detach(), dl[0].detach(), anchors, (64, 80), post_nms=50)
    assert len(props) <= 50 and (scores[:-1] >= scores[1:]).all()


@pytest.mark.syllabus("vision.faster_rcnn_rpn")
def test_rpn_targets_follow_the_faster_rcnn_iou_rule_by_hand():
    """IoU >= 0.7 positive, < 0.3 negative, in between ignored; each box's best anchor is positive.

    The IoUs are written out by hand (all anchors share the box's x-extent), not computed by box_iou.
    """
    gt = torch.tensor([[0.0, 0, 10, 10], [50, 50, 60, 60]])
    anchors = torch.tensor([[0.0, 0, 10, 10],    # IoU 1.0 with box 0    -> positive
                            [0, 0, 10, 8],       # 0.8                   -> positive
                            [0, 0, 10, 7],       # 0.7 (on the threshold) -> positive
                            [0, 0, 10, 6],       # 0.6                   -> ignored
                            [0, 0, 10, 3],       # 0.3 (on the threshold) -> ignored
                            [0, 0, 10, 2],       # 0.2                   -> negative
                            [20, 20, 30, 30],    # 0.0                   -> negative
                            [52, 50, 62, 60]])   # 80/120 = 0.667 with box 1: below 0.7, but box 1's best -> positive
    labels, targets = rpn_targets(anchors, gt)
    assert labels.tolist() == [1, 1, 1, -1, -1, 0, 0, 1]
    # regression targets of the matched box: (dx/w_a, dy/h_a, log(w/w_a), log(h/h_a))
    torch.testing.assert_close(targets[1], torch.tensor([0.0, (5 - 4) / 8, 0.0, math.log(10 / 8)]))
    torch.testing.assert_close(targets[7], torch.tensor([(55 - 57) / 10, 0.0, 0.0, 0.0]))
    # other thresholds are honoured
    assert rpn_targets(anchors, gt, pos_iou=0.5, neg_iou=0.1)[0].tolist() == [1, 1, 1, 1, -1, -1, 0, 1]
