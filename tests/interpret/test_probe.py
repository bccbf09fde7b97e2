import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch import nn

from deepnotes.data.digits import load_digits
from deepnotes.interpret import fit_linear_probe


@pytest.mark.syllabus("interpretability.linear_probe")
def test_probe_matches_sklearn_and_random_labels_stay_at_chance():
    (xtr, ytr), (xte, yte) = load_digits("train", flatten=True).tensors, load_digits("test", flatten=True).tensors
    res = fit_linear_probe(lambda x: x, xtr, ytr, xte, yte, C=1.0)
    sc = StandardScaler().fit(xtr.numpy())
    sk = LogisticRegression(C=1.0, max_iter=3000).fit(sc.transform(xtr.numpy()), ytr.numpy())
    assert abs(res.test_acc - sk.score(sc.transform(xte.numpy()), yte.numpy())) <= 0.01
    # the same L2-penalised multinomial fit (sum CE + ||W||^2 / (2C)): class probabilities agree with sklearn's
    # up to solver tolerance and the std's ddof (measured max gap ~0.02; a penalty off by 2x gives ~0.14)
    with torch.no_grad():
        p_ours = torch.softmax(res.probe(xte.double()), 1).numpy()
    assert abs(p_ours - sk.predict_proba(sc.transform(xte.numpy()))).max() < 0.05
    # frozen encoder: weights unchanged, no gradients
    torch.manual_seed(0)
    enc = nn.Sequential(nn.Linear(64, 32), nn.ReLU())
    before = {k: v.clone() for k, v in enc.state_dict().items()}
    shuffled = ytr[torch.randperm(ytr.numel(), generator=torch.Generator().manual_seed(0))]
    rnd = fit_linear_probe(enc, xtr, shuffled, xte, yte, C=0.1)
    assert all(torch.equal(before[k], v) for k, v in enc.state_dict().items())
    assert all(p.grad is None for p in enc.parameters())
    assert rnd.test_acc < 0.2                                                # chance is 0.1
    with pytest.raises(ValueError, match="C"):
        fit_linear_probe(enc, xtr, ytr, C=0.0)
