"""RoI pooling: each RoI equals adaptive max pooling of its quantised crop (the same bin rule)."""
import math
import random

import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import RoIPool, roi_pool


@pytest.mark.syllabus("vision.roi_pool")
def test_roi_pool_equals_adaptive_max_pool_of_quantised_crop():
    rng = random.Random(0)
    torch.manual_seed(0)
    feats = torch.randn(2, 3, 16, 20, requires_grad=True)
    for _ in range(40):
        scale = rng.choice([1.0, 0.5, 0.25, 1 / 16])
        x1, y1 = rng.uniform(0, 19 / scale * 0.8), rng.uniform(0, 15 / scale * 0.8)
        x2, y2 = x1 + rng.uniform(0, 19 / scale - x1), y1 + rng.uniform(0, 15 / scale - y1)
        b = rng.randint(0, 1)
        k = (rng.randint(1, 4), rng.randint(1, 4))
        out = roi_pool(feats, torch.tensor([[b, x1, y1, x2, y2]]), k, scale, fast=False)
        xs, ys = math.floor(x1 * scale + 0.5), math.floor(y1 * scale + 0.5)
        xe, ye = math.floor(x2 * scale + 0.5), math.floor(y2 * scale + 0.5)
        crop = feats[b:b + 1, :, ys:ye + 1, xs:xe + 1]
        torch.testing.assert_close(out, F.adaptive_max_pool2d(crop, k))
    # the fast path (crop + adaptive pool) equals the masked definition, boxes near and past the edges too
    g = torch.Generator().manual_seed(1)
    xy = torch.rand(30, 2, generator=g) * 18
    rois = torch.cat([torch.randint(0, 2, (30, 1), generator=g).float(), xy, xy + torch.rand(30, 2, generator=g) * 8], 1)
    for scale in (1.0, 0.5):
        torch.testing.assert_close(roi_pool(feats, rois, (3, 2), scale, fast=True), roi_pool(feats, rois, (3, 2), scale, fast=False))
    # list-of-boxes input, the module, and gradients flow back to the features
    boxes = [torch.tensor([[0.0, 0.0, 7.0, 7.0]]), torch.tensor([[2.0, 2.0, 9.0, 5.0], [0.0, 0.0, 19.0, 15.0]])]
    out = RoIPool(2, 1.0)(feats, boxes)
    assert out.shape == (3, 3, 2, 2)
    torch.testing.assert_close(out[2], F.adaptive_max_pool2d(feats[1], 2))
    out.sum().backward()
    assert feats.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="boxes"):
        roi_pool(feats, torch.tensor([[0, 5.0, 0.0, 1.0, 3.0]]), 2)


@pytest.mark.syllabus("vision.roi_pool")
def test_roi_pool_7x7_mixed_sizes_and_gradient():
    """Small and whole-map RoIs in one call (the fast path groups them by bin size), against
    adaptive max pooling of each quantised crop, and gradcheck of the gather path."""
    g = torch.Generator().manual_seed(2)
    feats = torch.randn(2, 4, 16, 16, generator=g, dtype=torch.float64)
    xy = torch.rand(40, 2, generator=g) * 40
    wh = torch.rand(40, 2, generator=g) * torch.tensor([4.0, 60.0])[torch.randint(0, 2, (40, 1), generator=g)]
    boxes = torch.cat([xy, (xy + wh).clamp(max=61)], 1).double()   # inside the 16 x 16 map
    rois = torch.cat([torch.randint(0, 2, (40, 1), generator=g).double(), boxes], 1)
    out = roi_pool(feats, rois, 7, 0.25)
    for r, o in zip(rois.tolist(), out):
        xs, ys, xe, ye = (math.floor(v * 0.25 + 0.5) for v in r[1:])
        torch.testing.assert_close(o, F.adaptive_max_pool2d(feats[int(r[0]), :, ys:ye + 1, xs:xe + 1], 7))
    small = torch.randn(1, 2, 6, 6, generator=g, dtype=torch.float64, requires_grad=True)
    few = torch.tensor([[0, 0.0, 0.0, 23.0, 23.0], [0, 4.0, 8.0, 12.0, 20.0], [0, 9.0, 1.0, 10.0, 3.0]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: roi_pool(f, few, 3, 0.25), (small,))
