"""Geometric augmentation: flips, rot90, rotation/affine against scikit-image, crops, labels kept."""
import numpy as np
import pytest
import torch
from skimage import data as skdata
from skimage.transform import AffineTransform, resize, warp

from deepnotes.data import (Compose, RandomAffine, RandomCrop, RandomHorizontalFlip, RandomResizedCrop,
                            RandomVerticalFlip, TransformedDataset, affine, hflip, load, resized_crop, rotate, vflip)


@pytest.fixture(scope="module")
def camera():
    return torch.tensor(skdata.camera()[::8, ::8] / 255.0)                    # (64, 64) float64


@pytest.mark.syllabus("training.geometric_augmentation")
def test_flips_twice_identity_and_rot90(camera):
    x = torch.rand(2, 3, 7, 7, dtype=torch.float64)
    assert torch.equal(hflip(hflip(x)), x) and torch.equal(vflip(vflip(x)), x)
    assert torch.equal(hflip(x), torch.from_numpy(np.ascontiguousarray(x.numpy()[..., ::-1])))
    img = camera[None]                                                        # (1, 64, 64)
    assert torch.allclose(rotate(img, 90), torch.rot90(img, 1, dims=(-2, -1)), atol=1e-6)
    r = img
    for _ in range(4):
        r = rotate(r, 90)
    assert torch.allclose(r, img, atol=1e-6)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(RandomHorizontalFlip(p=1.0, generator=g)(x), x.flip(-1))
    assert torch.equal(RandomVerticalFlip(p=1.0, generator=g)(x), x.flip(-2))
    assert torch.equal(RandomHorizontalFlip(p=0.0, generator=g)(x), x)
    flipped = RandomHorizontalFlip(p=0.5, generator=g)(torch.rand(400, 1, 2, 2)).flip(-1)
    assert flipped.shape == (400, 1, 2, 2)


@pytest.mark.syllabus("training.geometric_augmentation")
@pytest.mark.parametrize("angle,translate,scale", [(30.0, (0, 0), 1.0), (-47.0, (3, -5), 1.0),
                                                   (12.0, (2, 1), 1.4), (0.0, (0, 0), 0.7)])
def test_affine_equals_skimage_warp(camera, angle, translate, scale):
    h, w = camera.shape
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    a = np.deg2rad(angle)
    rs = scale * np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])   # counter-clockwise on screen
    m = np.eye(3)
    m[:2, :2] = rs
    m[:2, 2] = c + np.array(translate) - rs @ c                               # p = RS(q - c) + c + t
    ref = warp(camera.numpy(), AffineTransform(matrix=m).inverse, order=1, mode="constant", cval=0.0)
    ours = affine(camera[None], angle, translate, scale)[0].numpy()
    inner = (slice(12, -12), slice(12, -12))                                 # skimage and torch differ at edges
    np.testing.assert_allclose(ours[inner], ref[inner], atol=1e-6)


@pytest.mark.syllabus("training.geometric_augmentation")
def test_random_crop_is_a_window_of_the_padded_image():
    x = torch.rand(6, 2, 8, 8)
    out = RandomCrop(8, padding=2, generator=torch.Generator().manual_seed(1))(x)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for b in range(6):
        assert any(torch.equal(out[b], padded[b, :, i:i + 8, j:j + 8]) for i in range(5) for j in range(5))
    assert RandomCrop((4, 6), generator=torch.Generator())(x[0]).shape == (2, 4, 6)


@pytest.mark.syllabus("training.geometric_augmentation")
def test_resized_crop_equals_skimage_resize(camera):
    ours = resized_crop(camera[None], 10, 5, 30, 40, (48, 32))[0].numpy()
    ref = resize(camera[10:40, 5:45].numpy(), (48, 32), order=1, mode="edge", anti_aliasing=False)
    np.testing.assert_allclose(ours, ref, atol=1e-10)
    t = RandomResizedCrop(16, scale=(0.3, 0.6), ratio=(0.5, 2.0), generator=torch.Generator().manual_seed(0))
    for _ in range(200):
        top, left, h, w = t.sample_window(64, 64)
        assert 0.3 * 4096 * 0.8 <= h * w <= 0.6 * 4096 * 1.2 and 0.5 / 1.2 <= w / h <= 2.0 * 1.2
        assert top + h <= 64 and left + w <= 64
    assert t(camera[None].repeat(3, 1, 1, 1)).shape == (3, 1, 16, 16)


@pytest.mark.syllabus("training.geometric_augmentation")
def test_random_affine_ranges_seeding_and_labels_preserved():
    t = RandomAffine(degrees=15, translate=(0.1, 0.2), scale=(0.9, 1.1), generator=torch.Generator().manual_seed(2))
    p = t.sample_params(5000, 10, 20)
    assert p["angle"].abs().max() <= 15 and p["angle"].min() < -14 and p["angle"].max() > 14
    assert p["translate"][:, 0].abs().max() <= 2 and p["translate"][:, 1].abs().max() <= 2
    assert p["scale"].min() >= 0.9 and p["scale"].max() <= 1.1
    ds = load("digits", split="val")
    aug = Compose([RandomCrop(8, padding=1, generator=torch.Generator().manual_seed(3)),
                   RandomAffine(10, (0.1, 0.1), generator=torch.Generator().manual_seed(4)),
                   RandomHorizontalFlip(generator=torch.Generator().manual_seed(5))])
    tds = TransformedDataset(ds, aug)
    xs, ys = zip(*(tds[i] for i in range(len(ds))))
    assert torch.equal(torch.stack(ys), ds.tensors[1]) and torch.stack(xs).shape == ds.tensors[0].shape

    def run(seed):
        return RandomAffine(20, generator=torch.Generator().manual_seed(seed))(ds.tensors[0][:16])
    assert torch.equal(run(7), run(7)) and not torch.equal(run(7), run(8))


def test_fill_outside_and_integer_images():
    ones = torch.ones(1, 9, 9)
    r = rotate(ones, 45, fill=0.5)
    assert r[0, 0, 0] == 0.5 and r[0, 4, 4] == 1.0
    u8 = (torch.arange(16, dtype=torch.uint8) * 10).reshape(1, 4, 4)
    assert torch.equal(rotate(u8, 90), torch.rot90(u8, 1, dims=(-2, -1)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="p"):
        RandomHorizontalFlip(p=2)
    with pytest.raises(ValueError, match="img"):
        rotate(torch.zeros(4, 4), 10)
    with pytest.raises(ValueError, match="size"):
        RandomCrop(10)(torch.zeros(1, 8, 8))
    with pytest.raises(ValueError, match="scale"):
        RandomAffine(scale=(1.2, 1.0))
