"""Residual and squeeze-and-excitation blocks, the basic CNN classifier, transfer helpers."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.models import (CNNClassifier, ResidualBlock, SqueezeExcitation, create_model, freeze,
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
