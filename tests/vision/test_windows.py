"""Sliding windows (closed-form count, OverFeat merge) and convolutionalisation."""
import pytest
import torch
from torch import nn

from deepnotes.nn import Conv2d
from deepnotes.vision import box_iou, convolutionalize, num_windows, overfeat_merge, sliding_windows


@pytest.mark.syllabus("vision.sliding_window")
def test_window_count_matches_enumeration_and_formula():
    for H, W, win, s, scales in [(64, 48, (16, 16), 4, (1.0, 0.5)), (100, 100, (20, 10), 7, (1.0, 1 / 2, 1 / 3)),
                                 (30, 30, (40, 40), 2, (1.0,))]:
        boxes, which = sliding_windows((H, W), win, s, scales)
        explicit = 0
        for sc in scales:
            Hs, Ws = round(H * sc), round(W * sc)
            explicit += sum(1 for y in range(0, Hs - win[0] + 1, s) for x in range(0, Ws - win[1] + 1, s))
        assert len(boxes) == explicit == num_windows((H, W), win, s, scales)
    boxes, _ = sliding_windows((64, 64), (16, 16), 16, (0.5,))
    assert boxes.tolist()[0] == [0.0, 0.0, 32.0, 32.0]             # a window at scale 1/2 covers 32 px
    b, _ = sliding_windows((64, 64), (16, 16), 8, (1.0,), aspect_ratios=(1.0, 4.0))
    assert {tuple((r[2:] - r[:2]).tolist()) for r in b} == {(16.0, 16.0), (8.0, 32.0)}


@pytest.mark.syllabus("vision.sliding_window")
def test_overfeat_merge_of_one_object():
    gt = torch.tensor([[20.0, 24.0, 44.0, 52.0]])
    boxes, _ = sliding_windows((64, 64), (24, 24), 4, (1.0, 0.8, 0.6))
    scores = box_iou(boxes, gt)[:, 0]                               # an ideal classifier's confidence
    merged, merged_scores = overfeat_merge(boxes, scores, iou_threshold=0.3, score_threshold=0.5)
    assert box_iou(merged[:1], gt).item() > 0.7
    assert len(merged) == 1
    # the merge is a score-weighted average of the overlapping boxes; a far box stays alone
    b = torch.tensor([[0.0, 0, 10, 10], [2.0, 0, 12, 10], [0.0, 1, 10, 11], [50.0, 50, 60, 60]])
    s = torch.tensor([0.9, 0.6, 0.3, 0.8])
    merged, merged_scores = overfeat_merge(b, s, iou_threshold=0.3, score_threshold=0.5)
    torch.testing.assert_close(merged, torch.tensor([[(0.9 * 0 + 0.6 * 2) / 1.5, 0, (0.9 * 10 + 0.6 * 12) / 1.5, 10],
                                                     [50.0, 50, 60, 60]]))
    torch.testing.assert_close(merged_scores, torch.tensor([1.5, 0.8]))       # the 0.3 box fell below the threshold


@pytest.mark.syllabus("vision.convolutionalization")
def test_heatmap_cells_equal_classifier_on_crops():
    torch.manual_seed(0)
    features = nn.Sequential(Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))      # 12 -> 10 -> 5, stride 2
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 5 * 5, 16), nn.ReLU(), nn.Linear(16, 3))
    fcn = convolutionalize(features, classifier, (4, 5, 5))
    x = torch.randn(2, 1, 20, 26)
    heat = fcn(x)
    K, S = 12, 2
    assert heat.shape == (2, 3, (20 - K) // S + 1, (26 - K) // S + 1)
    for i in range(heat.shape[2]):
        for j in range(heat.shape[3]):
            crop = x[:, :, S * i:S * i + K, S * j:S * j + K]
            torch.testing.assert_close(heat[:, :, i, j], classifier(features(crop)), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="feature_shape"):
        convolutionalize(features, classifier, (4, 4, 4))
