"""NMS against a brute-force reference written here, and its invariants."""
import pytest
import torch

from deepnotes.vision import batched_nms, nms, postprocess_detections, score_threshold


def brute_iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def brute_nms(boxes, scores, classes, thr):
    """Greedy NMS per class, one box at a time, with plain Python floats."""
    boxes, scores, classes = boxes.tolist(), scores.tolist(), classes.tolist()
    alive = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep = []
    while alive:
        best = alive.pop(0)
        keep.append(best)
        alive = [i for i in alive if classes[i] != classes[best] or brute_iou(boxes[i], boxes[best]) <= thr]
    return keep


def random_boxes(n, seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 50
    wh = torch.rand(n, 2, generator=g) * 20 + 1
    return torch.cat([xy, xy + wh], 1).double(), torch.rand(n, generator=g).double(), torch.randint(0, 3, (n,), generator=g)


@pytest.mark.syllabus("vision.nms")
def test_nms_equals_brute_force():
    for seed in range(8):
        boxes, scores, classes = random_boxes(60, seed)
        for thr in (0.3, 0.5, 0.7):
            assert nms(boxes, scores, thr).tolist() == brute_nms(boxes, scores, torch.zeros(60), thr)
            assert batched_nms(boxes, scores, classes, thr).tolist() == brute_nms(boxes, scores, classes, thr)


@pytest.mark.syllabus("vision.nms")
def test_nms_invariants_and_threshold():
    b = torch.tensor([[0.0, 0, 10, 10], [0.0, 0, 10, 10], [20.0, 20, 30, 30]])
    s = torch.tensor([0.9, 0.8, 0.3])
    assert nms(b, s).tolist() == [0, 2]                        # two identical boxes reduce to one
    assert score_threshold(s, 0.5).tolist() == [0, 1]
    boxes, scores, labels = postprocess_detections(b, s, torch.zeros(3, dtype=torch.long), conf_threshold=0.5)
    assert len(boxes) == 1
    from deepnotes.vision import box_iou
    boxes, scores, _ = random_boxes(200, 99)
    kept = boxes[nms(boxes, scores, 0.5)]
    iou = box_iou(kept, kept) - torch.eye(len(kept), dtype=torch.float64)
    assert iou.max() <= 0.5                                    # no kept pair above the threshold
    with pytest.raises(ValueError, match="scores"):
        nms(b, s[:2])
