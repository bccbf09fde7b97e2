"""SSD default boxes and heads, RetinaNet's focal loss, FPN."""
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F

from deepnotes.vision import (FeaturePyramidNetwork, RetinaNetHead, SmallBackbone, SSDHead, hard_negative_mining,
                              sigmoid_focal_loss, ssd_default_boxes)


@pytest.mark.syllabus("vision.ssd")
def test_ssd_default_box_count_and_head_shapes():
    sizes, A = [(8, 8), (4, 4), (2, 2)], [3, 3, 3]
    boxes = ssd_default_boxes(sizes, 64, scales=[12, 24, 48])
    assert len(boxes) == sum(h * w * a for (h, w), a in zip(sizes, A)) == 252
    # map 2 (4 x 4, stride 16, scale 24): its boxes follow the 8 x 8 x 3 of map 1, cell-major, centred on the cells
    from deepnotes.vision import box_convert
    c = box_convert(boxes[192:240], "xyxy", "cxcywh").view(4, 4, 3, 4)            # (i, j, anchor, cxcywh)
    ii, jj = torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij")
    torch.testing.assert_close(c[..., 0], ((jj + 0.5) * 16)[..., None].expand(4, 4, 3))
    torch.testing.assert_close(c[..., 1], ((ii + 0.5) * 16)[..., None].expand(4, 4, 3))
    torch.testing.assert_close(c[..., 2] * c[..., 3], torch.full((4, 4, 3), 24.0 ** 2))
    head = SSDHead([8, 16, 16], A, num_classes=3)
    cls, reg = head([torch.randn(2, c, h, w) for c, (h, w) in zip([8, 16, 16], sizes)])
    assert cls.shape == (2, 252, 4) and reg.shape == (2, 252, 4)
    # row n of the head's outputs belongs to default box n: centre-tap weights read a position map
    # (1000 i + 10 j) and biases name the anchor and the class/offset (100 a + k), so every row decodes
    # to its default box's cell and anchor
    with torch.no_grad():
        for conv in list(head.cls) + list(head.reg):
            conv.weight.zero_()
            conv.weight[:, 0, 1, 1], conv.weight[:, 1, 1, 1] = 1000.0, 10.0
            conv.bias.copy_(torch.tensor([100.0 * (o // 4) + o % 4 for o in range(conv.out_channels)]))
        maps = []
        for c, (h, w) in zip([8, 16, 16], sizes):
            f = torch.zeros(1, c, h, w)
            f[0, 0] = torch.arange(h, dtype=torch.float32)[:, None]          # row index i
            f[0, 1] = torch.arange(w, dtype=torch.float32)[None, :]          # column index j
            maps.append(f)
        cls, reg = head(maps)
    from deepnotes.vision import box_convert
    centres = box_convert(boxes, "xyxy", "cxcywh")[:, :2]
    strides = torch.cat([torch.full((h * w * a,), 64.0 / h) for (h, w), a in zip(sizes, A)])
    for out in (cls[0], reg[0]):                                              # (252, 4)
        v = out[:, 0]
        i, a, j = v // 1000, (v % 1000) // 100, (v % 100) // 10
        torch.testing.assert_close(centres, torch.stack([(j + 0.5) * strides, (i + 0.5) * strides], 1))
        assert a.tolist() == [n % 3 for n in range(252)]                      # anchors inner, cell-major
        assert (out % 10 == torch.arange(4.0)).all()                          # class / offset index last
    loss = torch.tensor([0.1, 5.0, 0.2, 3.0, 0.3, 9.0, 0.05, 1.0])
    labels = torch.tensor([1, 0, 0, 0, 0, 0, 0, 0])
    assert hard_negative_mining(loss, labels).tolist() == [True, True, False, True, False, True, False, False]


@pytest.mark.syllabus("vision.retinanet")
def test_focal_loss_formula_and_bce_limit():
    torch.manual_seed(0)
    x = torch.randn(50, dtype=torch.float64) * 3
    t = (torch.rand(50) > 0.7).double()
    p = torch.sigmoid(x)
    p_t = torch.where(t == 1, p, 1 - p)
    alpha_t = torch.where(t == 1, 0.25, 0.75)
    torch.testing.assert_close(sigmoid_focal_loss(x, t), -alpha_t * (1 - p_t) ** 2 * torch.log(p_t))
    torch.testing.assert_close(sigmoid_focal_loss(x, t, alpha=-1, gamma=0), F.binary_cross_entropy_with_logits(x, t, reduction="none"))
    assert sigmoid_focal_loss(x, t, reduction="sum").item() == pytest.approx(sigmoid_focal_loss(x, t).sum().item())
    head = RetinaNetHead(8, 9, 3, num_convs=2)
    cls, box = head([torch.randn(1, 8, 4, 4), torch.randn(1, 8, 2, 2)])
    assert cls.shape == (1, 9 * 20, 3) and box.shape == (1, 9 * 20, 4)
    assert torch.sigmoid(head.cls_logits.bias).mean().item() == pytest.approx(0.01)


@pytest.mark.syllabus("vision.fpn")
def test_fpn_equals_top_down_equations_and_strides():
    torch.manual_seed(0)
    bb = SmallBackbone(3, (8, 16, 16, 32))
    x = torch.randn(2, 3, 64, 96)
    feats = bb(x)
    assert [64 // f.shape[-2] for f in feats.values()] == [4, 8, 16, 32]
    fpn = FeaturePyramidNetwork(bb.out_channels, 12)
    out = fpn(feats)
    c = list(feats.values())
    lat = [F.conv2d(ci, fpn.inner_blocks[i][0].weight, fpn.inner_blocks[i][0].bias) for i, ci in enumerate(c)]
    m = [None] * 4
    m[3] = lat[3]
    for i in (2, 1, 0):
        m[i] = lat[i] + F.interpolate(m[i + 1], scale_factor=2.0, mode="nearest")
    for i, (name, p) in enumerate(out.items()):
        ref = F.conv2d(m[i], fpn.layer_blocks[i][0].weight, fpn.layer_blocks[i][0].bias, padding=1)
        torch.testing.assert_close(p, ref, atol=1e-5, rtol=1e-5)
        assert p.shape[1] == 12 and p.shape[-2:] == c[i].shape[-2:]
    keys = set(fpn.state_dict())
    assert "inner_blocks.0.0.weight" in keys and "layer_blocks.3.0.bias" in keys   # torchvision's names


@pytest.mark.syllabus("vision.ssd")
def test_ssd_default_boxes_on_non_square_maps_and_images():
    """A (h, w) map of an (H, W) image puts cell (i, j)'s centre at ((j + 1/2) W / w, (i + 1/2) H / h)."""
    from deepnotes.vision import box_convert
    for image_size, (h, w) in ((64, (4, 8)), ((48, 96), (3, 4))):
        H, W = (image_size, image_size) if isinstance(image_size, int) else image_size
        c = box_convert(ssd_default_boxes([(h, w)], image_size, scales=[10], aspect_ratios=(1.0,)),
                        "xyxy", "cxcywh").view(h, w, 4)                                  # (i, j, cxcywh)
        ii, jj = torch.meshgrid(torch.arange(float(h)), torch.arange(float(w)), indexing="ij")
        torch.testing.assert_close(c[..., 0], (jj + 0.5) * W / w)
        torch.testing.assert_close(c[..., 1], (ii + 0.5) * H / h)
