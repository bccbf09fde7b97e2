"""Localisation: the IoU > 0.5 criterion on hand-made pairs and the two-headed network."""
import pytest
import torch

from deepnotes.vision import LocalizationNet, localization_correct, localization_loss


@pytest.mark.syllabus("vision.localization")
def test_criterion_on_hand_made_pairs():
    gt = torch.tensor([[0.0, 0, 10, 10], [0.0, 0, 10, 10], [0.0, 0, 10, 10], [0.0, 0, 10, 10]])
    pred = torch.tensor([[0.0, 0, 10, 10],    # perfect box, right class -> correct
                         [0.0, 0, 10, 10],    # perfect box, wrong class -> wrong
                         [0.0, 0, 10, 4],     # IoU 0.4, right class -> wrong
                         [0.0, 0, 10, 6]])    # IoU 0.6, right class -> correct
    ok = localization_correct(torch.tensor([1, 2, 1, 1]), pred, torch.tensor([1, 1, 1, 1]), gt)
    assert ok.tolist() == [True, False, False, True]
    net = LocalizationNet(3)
    logits, boxes = net(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 3) and boxes.shape == (2, 4) and ((boxes > 0) & (boxes < 1)).all()
    loss = localization_loss(logits, boxes, torch.tensor([0, 2]), torch.rand(2, 4))
    loss.backward()
    assert net.box_head.weight.grad.abs().sum() > 0
