import pytest
import torch
from sklearn.metrics import hamming_loss as sk_hamming

from deepnotes.losses import binary_cross_entropy_with_logits
from deepnotes.metrics import hamming_loss, multilabel_predict

@pytest.fixture(autouse=True)
def one_thread():
    """Many tiny full-batch steps: one thread avoids sync overhead on a shared CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


g = torch.Generator().manual_seed(10)


@pytest.mark.syllabus("foundations.multilabel_classification")
def test_multilabel_loss_prediction_and_hamming_equal_references():
    z = torch.randn(20, 6, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 2, (20, 6), generator=g)
    ours = binary_cross_entropy_with_logits(z, y.double())
    ref = torch.nn.BCEWithLogitsLoss()(z, y.double())
    torch.testing.assert_close(ours, ref)
    pred = multilabel_predict(z.detach())
    assert torch.equal(pred, (z.detach() > 0).long())
    assert abs(hamming_loss(pred, y) - sk_hamming(y.numpy(), pred.numpy())) < 1e-12


@pytest.mark.syllabus("foundations.multilabel_classification")
def test_independent_sigmoids_learn_a_multilabel_task():
    x = torch.randn(200, 5, generator=g)
    y = torch.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 3] < 0], 1).long()  # 3 labels
    lin = torch.nn.Linear(5, 3)
    opt = torch.optim.SGD(lin.parameters(), lr=1.0)
    for _ in range(200):
        opt.zero_grad()
        binary_cross_entropy_with_logits(lin(x), y.float()).backward()
        opt.step()
    assert hamming_loss(multilabel_predict(lin(x)), y) < 0.03
    with pytest.raises(ValueError, match="input"):
        hamming_loss(y[:, :2], y)
