import pytest
import torch
from sklearn.metrics import accuracy_score
from sklearn.metrics import zero_one_loss as sk_zero_one

from deepnotes.losses import zero_one_loss
from deepnotes.metrics import accuracy, error_rate

g = torch.Generator().manual_seed(7)


@pytest.mark.syllabus("foundations.zero_one_loss")
def test_equals_sklearn_count_rate_and_accuracy():
    y = torch.randint(0, 4, (100,), generator=g)
    yhat = torch.randint(0, 4, (100,), generator=g)
    assert zero_one_loss(yhat, y).item() == sk_zero_one(y.numpy(), yhat.numpy(), normalize=False)
    assert abs(zero_one_loss(yhat, y, reduction="mean").item() - sk_zero_one(y.numpy(), yhat.numpy())) < 1e-6
    assert abs(accuracy(yhat, y) - accuracy_score(y.numpy(), yhat.numpy())) < 1e-12
    assert abs(error_rate(yhat, y) - (1 - accuracy_score(y.numpy(), yhat.numpy()))) < 1e-12
    scores = torch.randn(100, 4, generator=g)
    assert abs(accuracy(scores, y) - accuracy_score(y.numpy(), scores.argmax(1).numpy())) < 1e-12


@pytest.mark.syllabus("foundations.zero_one_loss")
def test_has_no_useful_gradient_and_rejects_shape_mismatch():
    w = torch.tensor(0.3, requires_grad=True)
    x = torch.tensor([1.0, -2.0, 3.0])
    pred = (w * x > 0).long()          # thresholding cuts the graph: nothing to descend
    assert not pred.requires_grad
    with pytest.raises(ValueError, match="input"):
        zero_one_loss(torch.zeros(3), torch.zeros(4))
