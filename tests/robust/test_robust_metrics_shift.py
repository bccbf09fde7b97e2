import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from deepnotes.robust import (covariate_shift, expected_calibration_error, fgsm, fit_temperature, label_shift_indices,
                              linear_fit_r2, logit_line, max_softmax_score, reliability_bins, roc_auc,
                              spurious_background)

from .conftest import accuracy


@pytest.mark.syllabus("robustness.calibration")
def test_ece_hand_computed_bins():
    conf = torch.tensor([0.95, 0.92, 0.65, 0.62, 0.61, 0.25])
    correct = torch.tensor([1, 0, 1, 1, 0, 1])
    # 10 bins: (0.9,1] -> acc 1/2 conf .935; (0.6,0.7] -> acc 2/3 conf .6267; (0.2,0.3] -> acc 1 conf .25
    ece = (2 / 6) * abs(0.5 - 0.935) + (3 / 6) * abs(2 / 3 - (0.65 + 0.62 + 0.61) / 3) + (1 / 6) * abs(1 - 0.25)
    assert expected_calibration_error(conf, correct, n_bins=10) == pytest.approx(ece, abs=1e-6)
    count, acc, _ = reliability_bins(conf, correct.bool(), 10)
    assert count.tolist() == [0, 0, 1, 0, 0, 0, 3, 0, 0, 2]
    assert expected_calibration_error(torch.tensor([0.2]), torch.tensor([1]), 10) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="confidence"):
        reliability_bins(torch.tensor([1.5]), torch.tensor([True]))


@pytest.mark.syllabus("robustness.calibration")
def test_ece_vanishes_for_calibrated_labels():
    g = torch.Generator().manual_seed(0)
    conf = torch.rand(100_000, generator=g) * 0.9 + 0.1
    labels = torch.rand(100_000, generator=g) < conf
    assert expected_calibration_error(conf, labels) < 0.01
    assert expected_calibration_error(conf, torch.ones_like(labels)) > 0.3
    logits = torch.randn(500, 5, generator=g) * 3
    y = torch.distributions.Categorical(logits=logits / 3).sample()
    assert fit_temperature(logits, y) == pytest.approx(3.0, rel=0.35)


@pytest.mark.syllabus("robustness.ood_confidence")
def test_roc_auc_matches_sklearn():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(50, generator=g) + 0.2, torch.rand(70, generator=g)
    a[:5] = b[:5]                       # ties
    ref = roc_auc_score(np.r_[np.ones(50), np.zeros(70)], np.r_[a.numpy(), b.numpy()])
    assert roc_auc(a, b) == pytest.approx(ref, abs=1e-12)
    confident = torch.zeros(20, 10)
    confident[:, 0] = 10
    uniform = torch.zeros(30, 10)
    s_in, s_out = max_softmax_score(confident), max_softmax_score(uniform)
    torch.testing.assert_close(s_out, torch.full((30,), 0.1))
    assert roc_auc(s_in, s_out) == 1.0


@pytest.mark.syllabus("robustness.distribution_shift_data")
def test_spurious_background_rates(digits):
    x, y, xt, yt = digits
    g = torch.Generator().manual_seed(0)
    xs, lab, grp = spurious_background(x, y, 0.95, generator=g)
    xs_t, lab_t, grp_t = spurious_background(xt, yt, 0.5, generator=g)
    assert abs(float((grp == lab).float().mean()) - 0.95) < 0.01
    assert abs(float((grp_t == lab_t).float().mean()) - 0.5) < 0.01
    assert xs.shape == (len(x), 3, 8, 8)
    # background-only classifier: colour of the corner pixel (always background in digits)
    bg_pred = lambda z: (z[:, 2, 0, 0] > z[:, 0, 0, 0]).long()  # noqa: E731
    assert float((bg_pred(xs) == lab).float().mean()) == pytest.approx(0.95, abs=0.01)
    assert float((bg_pred(xs_t) == lab_t).float().mean()) == pytest.approx(0.5, abs=0.01)
    idx = label_shift_indices(y, torch.tensor([0.5] + [0.5 / 9] * 9), 900, generator=g)
    assert abs(float((y[idx] == 0).float().mean()) - 0.5) < 0.01
    torch.testing.assert_close(covariate_shift(xt, "invert"), 1 - xt)
    assert not torch.allclose(covariate_shift(xt, "rotate"), xt)
    with pytest.raises(ValueError, match="kind"):
        covariate_shift(xt, "blur")


@pytest.mark.syllabus("robustness.linearity_hypothesis")
def test_logits_linear_along_sign_gradient(digits_mlp, digits_logreg, digits):
    _, _, xt, yt = digits
    eps = 0.02
    cs = torch.linspace(-10 * eps, 10 * eps, 21)
    line = logit_line(digits_mlp, xt[:30], yt[:30], cs)          # (21, 30, 10)
    r2 = linear_fit_r2(cs, line)
    assert line.shape == (21, 30, 10) and r2.median() > 0.95
    assert linear_fit_r2(cs, cs[:, None] ** 2 + 0 * line[:, 0, :1]).max() < 0.1   # a parabola is not linear
    clean = accuracy(digits_logreg, xt, yt)
    assert accuracy(digits_logreg, fgsm(digits_logreg, xt, yt, eps=0.1), yt) < clean - 0.3
