"""Segmentation metrics against scikit-learn; detection AP against a hand-computed case."""
import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, jaccard_score

from deepnotes.vision import (average_precision, confusion_matrix, dice_per_class, iou_per_class, mean_average_precision,
                              mean_iou, pixel_accuracy)


@pytest.mark.syllabus("vision.segmentation_metrics")
def test_segmentation_metrics_equal_sklearn():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 4, (3, 16, 16))
    p = np.where(rng.random(t.shape) < 0.7, t, rng.integers(0, 4, t.shape))
    pt, tt = torch.tensor(p), torch.tensor(t)
    np.testing.assert_allclose(iou_per_class(pt, tt, 4).numpy(), jaccard_score(t.ravel(), p.ravel(), average=None))
    assert mean_iou(pt, tt, 4) == pytest.approx(jaccard_score(t.ravel(), p.ravel(), average="macro"))
    np.testing.assert_allclose(dice_per_class(pt, tt, 4).numpy(), f1_score(t.ravel(), p.ravel(), average=None))
    assert pixel_accuracy(pt, tt, 4) == pytest.approx((p == t).mean())
    from sklearn.metrics import confusion_matrix as sk_cm
    np.testing.assert_array_equal(confusion_matrix(pt, tt, 4).numpy(), sk_cm(t.ravel(), p.ravel()))
    with pytest.raises(ValueError, match="target"):
        confusion_matrix(pt, tt + 4, 4)


@pytest.mark.syllabus("vision.average_precision")
def test_ap_hand_computed_toy_and_perfect():
    # 3 GT boxes in one image, 5 detections sorted by score: TP, FP, TP, FP(duplicate), TP
    gt = [torch.tensor([[0.0, 0, 10, 10], [20.0, 20, 30, 30], [40.0, 40, 50, 50]])]
    det = [torch.tensor([[0.0, 0, 10, 10], [60.0, 60, 70, 70], [21.0, 21, 30, 30], [1.0, 1, 10, 10], [40.0, 40, 50, 49]])]
    sc = [torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5])]
    # precision 1, 1/2, 2/3, 2/4, 3/5 at recall 1/3, 1/3, 2/3, 2/3, 1; envelope 1, 2/3, 2/3, 3/5, 3/5
    # VOC AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/5
    assert average_precision(det, sc, gt) == pytest.approx(1 / 3 + 2 / 9 + 1 / 5)
    # 101 points: r in [0, 1/3] -> 1 (34 points), (1/3, 2/3] -> 2/3 (33 points), (2/3, 1] -> 3/5 (34 points)
    assert average_precision(det, sc, gt, method="coco101") == pytest.approx((34 * 1 + 33 * 2 / 3 + 34 * 3 / 5) / 101)
    assert average_precision(gt, [torch.tensor([0.9, 0.8, 0.7])], gt) == 1.0
    assert average_precision(gt, [torch.tensor([0.9, 0.8, 0.7])], gt, method="coco101") == pytest.approx(1.0)
    # the same detections handed over in shuffled order and split across two images (an empty image
    # gets the false positive; the other boxes keep their ground truth): matching sorts by score over all images
    perm = torch.tensor([4, 1, 3, 0, 2])
    det2 = [det[0][perm][perm != 1], det[0][1:2]]
    sc2 = [sc[0][perm][perm != 1], sc[0][1:2]]
    gt2 = [gt[0], torch.zeros(0, 4)]
    assert average_precision(det2, sc2, gt2) == pytest.approx(1 / 3 + 2 / 9 + 1 / 5)
    res = mean_average_precision(det, sc, [torch.tensor([0, 0, 0, 0, 0])], gt, [torch.tensor([0, 0, 1])], 2)
    assert res["ap"][1] == 0.0 and res["map"] == pytest.approx((res["ap"][0] + 0.0) / 2)
