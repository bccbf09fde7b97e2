import numpy as np
import pytest
import torch
from sklearn.metrics import hinge_loss as sk_hinge

from deepnotes.losses import hinge_loss

g = torch.Generator().manual_seed(4)


@pytest.mark.syllabus("foundations.hinge_loss")
def test_binary_equals_sklearn_and_zero_beyond_margin():
    f = torch.randn(40, generator=g, dtype=torch.float64) * 2
    y = torch.randint(0, 2, (40,), generator=g) * 2 - 1
    assert abs(hinge_loss(f, y).item() - sk_hinge(y.numpy(), f.numpy())) < 1e-12
    margins = torch.tensor([1.0, 1.5, 7.0], dtype=torch.float64)
    assert hinge_loss(margins, torch.tensor([1, 1, 1]), reduction="sum").item() == 0.0
    assert hinge_loss(-margins, torch.tensor([-1, -1, -1]), reduction="sum").item() == 0.0


@pytest.mark.syllabus("foundations.hinge_loss")
def test_crammer_singer_equals_sklearn():
    z = torch.randn(30, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (30,), generator=g)
    ref = sk_hinge(y.numpy(), z.numpy(), labels=np.arange(4))
    assert abs(hinge_loss(z, y).item() - ref) < 1e-12


@pytest.mark.syllabus("foundations.hinge_loss")
def test_bad_labels_named():
    with pytest.raises(ValueError, match="target"):
        hinge_loss(torch.zeros(3), torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="target"):
        hinge_loss(torch.zeros(3, 2), torch.tensor([0, 1]))
