"""U-Net, FCN and the encoder-decoder: output sizes and the pooling switches."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.models import FCN, EncoderDecoderSegNet, UNet, bilinear_kernel


@pytest.mark.syllabus("vision.unet")
def test_unet_original_572_to_388_with_32_bottleneck_and_padded_keeps_size():
    with torch.device("meta"):
        m = UNet(1, 2, base=64, padding=False)
    y = m(torch.empty(1, 1, 572, 572, device="meta"))
    assert y.shape == (1, 2, 388, 388)
    assert m.bottleneck_input_size == (32, 32)
    assert not any(isinstance(x, torch.nn.Linear) for x in m.modules())
    small = UNet(3, 4, base=4, depth=3)
    assert small(torch.randn(2, 3, 32, 48)).shape == (2, 4, 32, 48)
    with pytest.raises(ValueError, match="x"):
        small(torch.randn(2, 3, 30, 48))


@pytest.mark.syllabus("vision.fcn")
def test_fcn_variants_output_size_and_bilinear_upsampler():
    for v in ("32s", "16s", "8s"):
        m = FCN(3, 3, variant=v, widths=(4, 4, 8, 8, 8), head_width=8)
        assert m(torch.randn(1, 3, 64, 96)).shape == (1, 3, 64, 96)
    # the transposed conv initialised with bilinear_kernel equals bilinear interpolation inside the image
    x = torch.randn(1, 2, 6, 6)
    w = bilinear_kernel(2, 4)
    up = F.conv_transpose2d(x, w, stride=2, padding=1)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="variant"):
        FCN(variant="4s")


@pytest.mark.syllabus("vision.fcn")
def test_fcn_skips_add_stride16_and_stride8_scores():
    """FCN-8s = up8(up2(up2(score32) + score16(pool4)) + score8(pool3)), every upsampler a bilinear
    transposed conv; FCN-32s = up32(score32). Written out with F.conv_transpose2d on the stage outputs."""
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 96)
    for v in ("32s", "8s"):
        m = FCN(3, 3, variant=v, widths=(4, 4, 8, 8, 8), head_width=8).eval()
        for name in ("score16", "score8"):
            if hasattr(m, name):                                 # zero-initialised: make the skips visible
                torch.nn.init.normal_(getattr(m, name).weight), torch.nn.init.normal_(getattr(m, name).bias)
        feats, h = [], x
        for stage in m.stages:
            h = stage(h)
            feats.append(h)
        assert [x.shape[-1] // f.shape[-1] for f in feats] == [2, 4, 8, 16, 32]
        s = m.score32(m.fc(h))                                   # stride 32
        up = lambda t, f: F.conv_transpose2d(t, bilinear_kernel(3, 2 * f), stride=f, padding=f // 2)  # noqa: E731
        if v == "8s":
            s = up(s, 2) + m.score16(feats[3])                  # stride 16
            s = up(s, 2) + m.score8(feats[2])                   # stride 8
            ref = up(s, 8)
        else:
            ref = up(s, 32)
        with torch.no_grad():
            torch.testing.assert_close(m(x), ref, atol=1e-5, rtol=1e-5)


@pytest.mark.syllabus("vision.encoder_decoder_segmentation")
def test_encoder_decoder_resolution_and_switches():
    for mode in ("max_unpool", "nearest", "bed_of_nails", "transposed"):
        m = EncoderDecoderSegNet(3, 5, widths=(4, 8), unpool=mode)
        assert m(torch.randn(2, 3, 16, 24)).shape == (2, 5, 16, 24)
    # switches: unpooling puts each pooled value back at the encoder's argmax location
    m = EncoderDecoderSegNet(1, 2, widths=(2,))
    x = torch.randn(1, 2, 8, 8)
    pooled, idx = m.pool(x)
    restored = m.unpools[0](pooled, idx)
    nz = restored != 0
    assert torch.equal(restored[nz], x[nz])                     # values sit where they came from
    assert int(nz.sum()) == pooled.numel()
    torch.testing.assert_close(F.max_pool2d(torch.where(nz, x, torch.full_like(x, -1e9)), 2), pooled)
