"""Max-unpooling with switches, nearest upsampling and bed-of-nails unpooling."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import (BedOfNailsUnpool2d, MaxUnpool2d, UpsampleNearest2d, bed_of_nails_unpool2d,
                          max_unpool2d, upsample_nearest2d)


@pytest.mark.syllabus("cnn.max_unpool")
def test_max_unpool_equals_torch():
    torch.manual_seed(0)
    for k, s, p, H in [(2, 2, 0, 8), (3, 2, 1, 9), (2, 1, 0, 5), (3, 3, 0, 9)]:
        x = torch.randn(2, 3, H, H, requires_grad=True)
        y, idx = F.max_pool2d(x, k, s, p, return_indices=True)
        ours = max_unpool2d(y, idx, k, s, p, output_size=x.shape[-2:])
        ref = F.max_unpool2d(y, idx, k, s, p, output_size=x.shape[-2:])
        torch.testing.assert_close(ours, ref)
        g = torch.randn_like(ref)
        torch.testing.assert_close(torch.autograd.grad(ours, x, g, retain_graph=True)[0], torch.autograd.grad(ref, x, g)[0])
    y, idx = F.max_pool2d(torch.randn(1, 2, 6, 6), 2, return_indices=True)
    torch.testing.assert_close(MaxUnpool2d(2)(y, idx), F.max_unpool2d(y, idx, 2))
    # non-square kernel/stride/padding and the default output size (H-1)S - 2P + K per axis
    y, idx = F.max_pool2d(torch.randn(2, 3, 9, 13), (2, 3), (3, 2), (1, 0), return_indices=True)
    torch.testing.assert_close(max_unpool2d(y, idx, (2, 3), (3, 2), (1, 0)), F.max_unpool2d(y, idx, (2, 3), (3, 2), (1, 0)))
    with pytest.raises(ValueError, match="indices"):
        max_unpool2d(y, idx[..., :1], 2)


@pytest.mark.syllabus("cnn.upsample_nearest")
def test_nearest_equals_interpolate_and_repeat_interleave():
    x = torch.randn(2, 3, 4, 5)
    for s in (1, 2, 3):
        up = upsample_nearest2d(x, s)
        torch.testing.assert_close(up, F.interpolate(x, scale_factor=s, mode="nearest"))
        torch.testing.assert_close(up, torch.repeat_interleave(torch.repeat_interleave(x, s, 2), s, 3))
    torch.testing.assert_close(UpsampleNearest2d(2, "bilinear")(x), F.interpolate(x, scale_factor=2, mode="bilinear"))


@pytest.mark.syllabus("cnn.bed_of_nails_unpool")
def test_bed_of_nails_places_values_and_is_adjoint_of_subsampling():
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    s = 3
    y = bed_of_nails_unpool2d(x, s)
    assert torch.equal(y[..., ::s, ::s], x)
    mask = torch.ones_like(y, dtype=torch.bool)
    mask[..., ::s, ::s] = False
    assert (y[mask] == 0).all()
    z = torch.randn_like(y)
    torch.testing.assert_close((y * z).sum(), (x * z[..., ::s, ::s]).sum())   # <U x, z> = <x, S z>
    assert BedOfNailsUnpool2d(2)(torch.ones(1, 1, 2, 2)).sum() == 4
