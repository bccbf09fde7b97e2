import pytest
import torch
from sklearn.metrics import roc_auc_score

from deepnotes.data import load
from deepnotes.generative import AnomalyDetector, Autoencoder


@pytest.mark.syllabus("generative.ae_anomaly_detection")
def test_digit9_detected_with_1pct_false_positives():
    tr, va, te = (load("digits", s, flatten=True).tensors for s in ("train", "val", "test"))
    normal_tr = tr[0][tr[1] != 9]
    torch.manual_seed(0)
    ae = Autoencoder(64, 8, (64,))
    opt = torch.optim.Adam(ae.parameters(), lr=3e-3)
    for _ in range(1500):
        xb = normal_tr[torch.randint(len(normal_tr), (128,))]
        loss = ((ae(xb) - xb) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    det = AnomalyDetector(ae, quantile=0.99).fit_threshold(va[0][va[1] != 9])
    val_fpr = det.predict(va[0][va[1] != 9]).float().mean().item()
    assert val_fpr == pytest.approx(0.01, abs=0.006)
    auc = roc_auc_score((te[1] == 9).numpy(), det.score(te[0]).numpy())
    assert auc > 0.8, auc
    with pytest.raises(ValueError, match="quantile"):
        AnomalyDetector(ae, quantile=1.5)
