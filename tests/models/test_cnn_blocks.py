"""Residual and squeeze-and-excitation blocks, the basic CNN classifier, transfer helpers."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.models import (CNNClassifier, FrozenBatchNorm, ResidualBlock, SqueezeExcitation, create_model, freeze,
                              replace_head, se_block, transfer_model)
from deepnotes.nn import conv_output_size


@pytest.mark.syllabus("cnn.residual_block")
def test_zero_init_block_is_identity_and_jacobian_is_I_plus_JF():
    torch.manual_seed(0)
    blk = ResidualBlock(3, 3, zero_init=True).double().eval()
    x = torch.randn(1, 3, 4, 4, dtype=torch.float64)
    torch.testing.assert_close(blk(x), x)
    blk = ResidualBlock(3, 3).double().eval()
    for p in blk.parameters():
        p.data.normal_()
    J = torch.autograd.functional.jacobian(lambda t: blk(t).flatten(), x).reshape(48, 48)
    JF = torch.autograd.functional.jacobian(lambda t: blk.f(t).flatten(), x).reshape(48, 48)
    torch.testing.assert_close(J, torch.eye(48, dtype=torch.float64) + JF)
    proj = ResidualBlock(3, 8, stride=2)
    assert proj(torch.randn(2, 3, 8, 8)).shape == (2, 8, 4, 4)


@pytest.mark.syllabus("cnn.squeeze_excitation")
def test_se_gates_params_and_equation():
    torch.manual_seed(0)
    C, r = 64, 16
    se = se_block(C, r)
    assert sum(p.numel() for p in se.parameters()) == 2 * C * C // r + C // r + C
    x = torch.randn(2, C, 5, 6)
    g = se.gates(x)
    assert ((g > 0) & (g < 1)).all()
    s = x.mean(dim=(2, 3))                                      # squeeze
    e = torch.sigmoid(F.linear(F.relu(F.linear(s, se.fc1.weight[:, :, 0, 0], se.fc1.bias)),
                               se.fc2.weight[:, :, 0, 0], se.fc2.bias))
    torch.testing.assert_close(se(x), x * e[:, :, None, None], atol=1e-6, rtol=1e-5)
    assert set(dict(se.named_parameters())) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}


@pytest.mark.syllabus("cnn.cnn_classifier")
def test_cnn_classifier_shape_flow_and_size():
    m = CNNClassifier(1, 10, (16, 32), image_size=8)
    assert sum(p.numel() for p in m.parameters()) < 50_000
    x = torch.randn(4, 1, 8, 8)
    f = m.features(x)
    s = 8
    for _ in range(2):
        s = conv_output_size(s, 3, padding="same")
        s = conv_output_size(s, 2, 2)
    assert f.shape[1:] == (32, s, s) == m.feature_shape
    assert m(x).shape == (4, 10)
    with pytest.raises(ValueError, match="pool"):
        CNNClassifier(pool="median")


@pytest.mark.syllabus("cnn.transfer_learning")
def test_frozen_backbone_unchanged_after_training():
    torch.manual_seed(0)
    m = CNNClassifier(1, 5)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    transfer_model(m, 3, mode="frozen")
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.5)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
    after = m.state_dict()
    head_keys = {"classifier.3.weight", "classifier.3.bias"}
    for k, v in before.items():
        if k not in head_keys:
            assert torch.equal(after[k], v), k
    assert m.classifier[3].out_features == 3
    # fine-tune mode trains the backbone too
    m2 = transfer_model(CNNClassifier(1, 5), 3, mode="finetune")
    assert all(p.requires_grad for p in m2.parameters())
    with pytest.raises(ValueError, match="mode"):
        transfer_model(m2, 3, mode="half")


@pytest.mark.syllabus("cnn.transfer_learning")
def test_frozen_backbone_keeps_its_batchnorm_statistics():
    """A frozen ResNet trained in train mode: every backbone tensor (weights AND running stats) unchanged,
    and its features equal the pre-trained network's eval-mode features (torch's BatchNorm in eval)."""
    torch.manual_seed(0)
    m = create_model("resnet8", num_classes=5, in_channels=1)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))
    m.train()
    m(x * 3 + 1)                                        # move the running stats away from (0, 1)
    m.eval()
    reference = {k: v.clone() for k, v in m.state_dict().items()}
    bns = [mod for mod in m.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
    assert bns
    eval_out = {}
    hooks = [bn.register_forward_hook(lambda mod, i, o, k=k: eval_out.__setitem__(k, o.detach()))
             for k, bn in enumerate(bns)]
    m(x)
    for h in hooks:
        h.remove()
    transfer_model(m, 3, mode="frozen")
    frozen = [mod for mod in m.modules() if isinstance(mod, FrozenBatchNorm)]
    assert len(frozen) == len(bns) and not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in m.modules())
    train_out = {}
    hooks = [bn.register_forward_hook(lambda mod, i, o, k=k: train_out.__setitem__(k, o.detach()))
             for k, bn in enumerate(frozen)]
    m.train()
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
    for h in hooks:
        h.remove()
    after = m.state_dict()
    for k, v in reference.items():
        if not k.startswith(("fc.", "classifier", "head")) and not k.endswith("num_batches_tracked"):
            assert torch.equal(after[k], v), k
    # in train mode the first BatchNorm's output equals torch's eval-mode BatchNorm2d before freezing
    # (its input, the frozen first conv of x, is the same at every step)
    torch.testing.assert_close(train_out[0], eval_out[0])
