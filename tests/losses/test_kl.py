import pytest
import torch
import torch.nn.functional as F
from scipy.special import rel_entr

from deepnotes.losses import cross_entropy, entropy, kl_div, kl_divergence

g = torch.Generator().manual_seed(5)


def dist(*shape):
    return torch.softmax(torch.randn(*shape, generator=g, dtype=torch.float64) * 2, -1)


@pytest.mark.syllabus("foundations.kl_divergence")
@pytest.mark.filterwarnings("ignore:reduction")
def test_equals_scipy_rel_entr_and_torch_kl_div():
    p, q = dist(6, 5), dist(6, 5)
    p[0, 2] = 0.0                                 # 0 log 0 = 0
    p[0] /= p[0].sum()
    ours = kl_divergence(q, p)
    ref = torch.tensor(rel_entr(p.numpy(), q.numpy()).sum(1))
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
    for red in ("mean", "sum", "none", "batchmean"):
        torch.testing.assert_close(kl_div(q.log(), p, reduction=red), F.kl_div(q.log(), p, reduction=red))
        r = dist(6, 5)                            # log_target needs p > 0 everywhere
        torch.testing.assert_close(kl_div(q.log(), r.log(), reduction=red, log_target=True),
                                   F.kl_div(q.log(), r.log(), reduction=red, log_target=True))


@pytest.mark.syllabus("foundations.kl_divergence")
def test_nonnegative_zero_iff_equal_and_asymmetric():
    p, q = dist(200, 4), dist(200, 4)
    kl_pq, kl_qp = kl_divergence(q, p), kl_divergence(p, q)
    assert (kl_pq >= 0).all()
    assert kl_divergence(p, p).abs().max() < 1e-15
    assert (kl_pq - kl_qp).abs().max() > 1e-3


@pytest.mark.syllabus("foundations.kl_divergence")
def test_cross_entropy_decomposes_and_gradients_agree():
    p = dist(8, 5)
    z = torch.randn(8, 5, generator=g, dtype=torch.float64, requires_grad=True)
    q = torch.softmax(z, 1)
    H_pq = cross_entropy(z, p, reduction="none")
    torch.testing.assert_close(H_pq, entropy(p) + kl_divergence(q, p), rtol=0, atol=1e-10)
    g_ce = torch.autograd.grad(cross_entropy(z, p, reduction="sum"), z)[0]
    g_kl = torch.autograd.grad(kl_divergence(torch.softmax(z, 1), p, reduction="sum"), z)[0]
    torch.testing.assert_close(g_ce, g_kl, rtol=0, atol=1e-10)
