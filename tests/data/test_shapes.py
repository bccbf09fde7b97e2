"""Synthetic shapes: tight boxes, consistent masks, shapes by class geometry, seeding, class balance."""
import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from deepnotes.data import load, make_shapes, shapes_collate


@pytest.fixture(scope="module")
def data():
    return make_shapes(120, size=48, noise=0.0, generator=torch.Generator().manual_seed(0))


@pytest.mark.syllabus("vision.synthetic_shapes_data")
def test_boxes_tightly_enclose_masks(data):
    for boxes, masks in zip(data["boxes"], data["masks"]):
        assert 1 <= len(masks) <= 5 and boxes.shape == (len(masks), 4)
        for box, m in zip(boxes.numpy(), masks.numpy()):
            rows, cols = np.nonzero(m)
            ref = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], dtype=float)
            ix = max(0, min(box[2], ref[2]) - max(box[0], ref[0]))
            iy = max(0, min(box[3], ref[3]) - max(box[1], ref[1]))
            inter = ix * iy
            union = (box[2] - box[0]) * (box[3] - box[1]) + (ref[2] - ref[0]) * (ref[3] - ref[1]) - inter
            assert inter / union == 1.0


@pytest.mark.syllabus("vision.synthetic_shapes_data")
def test_masks_semantic_and_colours_agree(data):
    for img, sem, masks, labels in zip(data["images"], data["semantic"], data["masks"], data["labels"]):
        assert (masks.sum(0) <= 1).all()                                       # instances never overlap
        ref = torch.zeros_like(sem)
        for m, c in zip(masks, labels):
            ref[m] = c + 1
            colours = img[:, m]                                                # (3, P) one flat colour
            assert (colours - colours[:, :1]).abs().max() == 0
            assert colours.min() >= 0.35 - 1e-6
        assert torch.equal(sem, ref)
        assert (img[:, sem == 0] <= 0.2 + 1e-6).all()                          # dark background


@pytest.mark.syllabus("vision.synthetic_shapes_data")
def test_each_class_has_its_geometry(data):
    ratio = {0: math.pi / 4, 1: 1.0, 2: 0.5}                                   # area / box area
    checked = 0
    for boxes, masks, labels in zip(data["boxes"], data["masks"], data["labels"]):
        for b, m, c in zip(boxes, masks, labels.tolist()):
            w, h = (b[2] - b[0]).item(), (b[3] - b[1]).item()
            assert abs(w - h) <= 1                                             # every class is as wide as tall
            if w >= 12:                                                        # pixel rounding blurs tiny shapes
                assert abs(m.sum().item() / (w * h) - ratio[c]) < 0.1
                checked += 1
    assert checked > 100


@pytest.mark.syllabus("vision.synthetic_shapes_data")
def test_seeded_and_class_histogram_uniform():
    a = make_shapes(10, generator=torch.Generator().manual_seed(3))
    b = make_shapes(10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a["images"], b["images"]) and all(torch.equal(x, y) for x, y in zip(a["boxes"], b["boxes"]))
    d = make_shapes(300, size=48, generator=torch.Generator().manual_seed(4))
    labels = torch.cat(d["labels"])
    freq = torch.bincount(labels, minlength=3).float() / len(labels)
    assert len(labels) > 850 and (freq - 1 / 3).abs().max() < 0.05


def test_dataset_and_collate():
    ds = load("shapes", split="val", n=6, size=32)
    img, target = ds[0]
    assert img.shape == (3, 32, 32) and set(target) == {"boxes", "labels", "masks", "semantic"}
    images, targets = next(iter(DataLoader(ds, batch_size=4, collate_fn=shapes_collate)))
    assert images.shape == (4, 3, 32, 32) and len(targets) == 4
    one = load("shapes", n=5, size=32, min_shapes=1, max_shapes=1)
    assert all(len(one[i][1]["labels"]) == 1 for i in range(5))


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_shapes"):
        make_shapes(2, min_shapes=3, max_shapes=2)
    with pytest.raises(ValueError, match="size"):
        make_shapes(2, size=4)
    with pytest.raises(ValueError, match="split"):
        load("shapes", split="holdout", n=2)
