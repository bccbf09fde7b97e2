"""Localisation: the IoU > 0.5 criterion on hand-made pairs and the two-headed network."""
import pytest
import torch

from deepnotes.vision import LocalizationNet, localization_correct, localization_loss


@pytest.mark.syllabus("vision.localization")
def test_criterion_on_hand_made_pairs():
    gt = torch.tensor([[0.0, 0, 10, 10]] * 5)
    pred = torch.tensor([[0.0, 0, 10, 10],    # perfect box, right class -> correct
                         [0.0, 0, 10, 10],    # perfect box, wrong class -> wrong
                         [0.0, 0, 10, 4],     # IoU 0.4, right class -> wrong
                         [0.0, 0, 10, 6],     # IoU 0.6, right class -> correct
                         [0.0, 0, 10, 5]])    # IoU exactly 0.5: the rule is IoU > 0.5 -> wrong
    ok = localization_correct(torch.tensor([1, 2, 1, 1, 1]), pred, torch.tensor([1, 1, 1, 1, 1]), gt)
    assert ok.tolist() == [True, False, False, True, False]
    net = LocalizationNet(3)
    logits, boxes = net(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 3) and boxes.shape == (2, 4) and ((boxes > 0) & (boxes < 1)).all()
    target_boxes = torch.rand(2, 4)
    loss = localization_loss(logits, boxes, torch.tensor([0, 2]), target_boxes)
    # CE + lambda * box loss, lambda = 5, written out: -log softmax of the true class, smooth-L1 (beta 0.05) or L2
    ce = -torch.log_softmax(logits, 1)[[0, 1], [0, 2]].mean()
    diff = (boxes - target_boxes).abs()
    sl1 = torch.where(diff < 0.05, 0.5 * diff ** 2 / 0.05, diff - 0.025).mean()
    torch.testing.assert_close(loss, ce + 5 * sl1)
    torch.testing.assert_close(localization_loss(logits, boxes, torch.tensor([0, 2]), target_boxes, lam=2.0, box_loss="l2"),
                               ce + 2 * ((boxes - target_boxes) ** 2).mean())
    loss.backward()
    assert net.box_head.weight.grad.abs().sum() > 0
