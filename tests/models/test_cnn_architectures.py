"""Published parameter counts and feature-map sizes of the classic CNNs (built on the meta device)."""
import re

import pytest
import torch
import torch.nn.functional as F

from deepnotes.models import (AlexNet, MobileNetV1, count_parameters, create_model, list_models,
                              separable_weight_ratio)
from deepnotes.nn import Conv2d, MaxPool2d


def meta(name, **kw):
    with torch.device("meta"):
        return create_model(name, **kw)


@pytest.mark.syllabus("cnn.lenet")
def test_lenet_61706_and_shapes():
    m = create_model("lenet5")
    assert count_parameters(m) == 61_706
    assert m(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert m.features(torch.randn(1, 1, 32, 32)).shape == (1, 16, 5, 5)
    with pytest.raises(ValueError, match="x"):
        m(torch.randn(2, 1, 28, 28))


@pytest.mark.syllabus("cnn.alexnet")
def test_alexnet_counts_and_feature_map_sizes():
    assert count_parameters(meta("alexnet")) == 62_378_344
    assert count_parameters(meta("alexnet", groups=2)) == 60_965_224
    m = meta("alexnet")
    x = torch.empty(1, 3, 227, 227, device="meta")
    sizes = []
    for layer in m.features:
        x = layer(x)
        if isinstance(layer, (Conv2d, MaxPool2d)):
            sizes.append(x.shape[-1])
    assert sizes == [55, 27, 27, 13, 13, 13, 13, 6]
    assert x.flatten(1).shape[1] == 9216 == m.classifier[1].in_features


@pytest.mark.syllabus("cnn.vgg16")
def test_vgg16_counts_fc1_share_and_sizes():
    m = meta("vgg16")
    total = count_parameters(m)
    assert total == 138_357_544
    fc1 = sum(p.numel() for p in m.classifier[0].parameters())
    assert fc1 == 102_764_544 and abs(fc1 / total - 0.74) < 0.01
    assert sum(isinstance(l, Conv2d) for l in m.features) == 13
    x = torch.empty(1, 3, 224, 224, device="meta")
    sizes, mem = [], []
    for layer in m.features:
        x = layer(x)
        mem.append(x.numel())
        if isinstance(layer, MaxPool2d):
            sizes.append(x.shape[-1])
    assert sizes == [112, 56, 28, 14, 7]
    assert sum(mem[:len(mem) // 3]) > sum(mem[len(mem) // 3:])   # activation memory sits early


@pytest.mark.syllabus("cnn.resnet")
def test_resnet_counts_and_output():
    assert count_parameters(meta("resnet18")) == 11_689_512
    assert count_parameters(meta("resnet152")) == 60_192_808
    assert count_parameters(meta("resnet50")) == 25_557_032
    assert meta("resnet18")(torch.empty(2, 3, 224, 224, device="meta")).shape == (2, 1000)
    small = create_model("resnet20", in_channels=1, num_classes=10)
    assert small(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    with pytest.raises(ValueError, match="depth"):
        create_model("resnet_cifar", depth=21)


@pytest.mark.syllabus("cnn.inception")
def test_inception_v3_count_and_module_channels():
    assert count_parameters(meta("inception_v3")) == 27_161_264
    m = meta("inception_v3").eval()
    assert m(torch.empty(1, 3, 299, 299, device="meta")).shape == (1, 1000)
    from deepnotes.models import InceptionModule, InceptionResNetBlock
    mod = InceptionModule(192, 64, 96, 128, 16, 32, 32)      # GoogLeNet 3a: 256 channels
    assert mod(torch.randn(1, 192, 7, 7)).shape == (1, 64 + 128 + 32 + 32, 7, 7) == (1, mod.out_channels, 7, 7)
    blk = InceptionResNetBlock(16, 8).eval()
    x = torch.randn(1, 16, 5, 5)
    assert blk(x).shape == (1, 16, 5, 5)
    # the residual shortcut: relu(x + scale * project(concat of branches)), written out
    h = torch.cat([blk.b0(x), blk.b1(x), blk.b2(x)], 1)
    torch.testing.assert_close(blk(x), torch.relu(x + blk.scale * blk.project(h)))
    with torch.no_grad():
        blk.project.weight.zero_(), blk.project.bias.zero_()
    torch.testing.assert_close(blk(x), torch.relu(x))           # branches silenced: only the shortcut is left


@pytest.mark.syllabus("cnn.mobilenet_xception")
def test_mobilenet_v1_about_4_2m_and_separable_ratio():
    n = count_parameters(meta("mobilenet_v1"))
    assert 4.1e6 < n < 4.3e6
    for c_in, c_out, k in [(16, 32, 3), (64, 128, 3), (32, 64, 5)]:
        std = torch.nn.Conv2d(c_in, c_out, k, bias=False).weight.numel()
        from deepnotes.nn import DepthwiseSeparableConv2d
        sep = sum(p.numel() for p in DepthwiseSeparableConv2d(c_in, c_out, k, bias=False).parameters())
        assert sep / std == pytest.approx(1 / c_out + 1 / k ** 2) == separable_weight_ratio(c_in, c_out, k)
    assert MobileNetV1(num_classes=5, width_mult=0.25)(torch.randn(1, 3, 64, 64)).shape == (1, 5)


@pytest.mark.syllabus("cnn.efficientnet_scaling")
def test_efficientnet_scaling_and_b0_count():
    from deepnotes.models import compound_scaling
    s = compound_scaling(1)
    assert (s["depth"], s["width"], s["resolution"]) == pytest.approx((1.2, 1.1, 1.15))
    for phi in (1, 2, 3):
        assert compound_scaling(phi)["flops"] == pytest.approx(2 ** phi, rel=0.1 * phi)
        assert compound_scaling(phi)["flops"] == pytest.approx((1.2 * 1.1 ** 2 * 1.15 ** 2) ** phi)
    assert count_parameters(meta("efficientnet_b0")) == 5_288_548
    from deepnotes.models import EfficientNet
    assert count_parameters(EfficientNet(0.5, 0.5, num_classes=3)) < 1e6


def test_registry_lists_and_rejects_unknown():
    names = list_models()
    for n in ["lenet5", "alexnet", "vgg16", "resnet18", "resnet152", "inception_v3", "mobilenet_v1",
              "efficientnet_b0", "unet", "fcn8s", "segnet"]:
        assert n in names
    assert list_models("resnet1*") == ["resnet101", "resnet152", "resnet18"]
    with pytest.raises(KeyError, match="resnet18"):
        create_model("resnet81")


@pytest.mark.syllabus("cnn.alexnet", "cnn.vgg16", "cnn.resnet", "cnn.inception", "cnn.mobilenet_xception",
                      "cnn.efficientnet_scaling", "cnn.lenet")
def test_images_of_the_wrong_rank_name_x_expected_and_given():
    for name, kw, shape in [("alexnet", {}, (3, 227, 227)), ("vgg16", {}, (3, 224, 224)), ("resnet18", {}, (3, 64, 64)),
                            ("resnet20", dict(in_channels=1, num_classes=10), (1, 8, 8)),
                            ("inception_v3", {}, (3, 299, 299)), ("mobilenet_v1", {}, (3, 64, 64)),
                            ("efficientnet_b0", {}, (3, 64, 64))]:
        m = meta(name, **kw)
        with pytest.raises(ValueError, match=r"x: expected a 4-D tensor \(B, C, H, W\), got " + re.escape(str(shape))):
            m(torch.empty(*shape, device="meta"))
