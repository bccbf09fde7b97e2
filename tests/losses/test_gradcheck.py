"""Every differentiable loss passes torch.autograd.gradcheck in float64 (analytic = numerical)."""
import pytest
import torch

import deepnotes.losses as L

g = torch.Generator().manual_seed(12)


def r(*s):
    return torch.randn(*s, generator=g, dtype=torch.float64)


P = torch.softmax(r(5, 4), 1)
IDX = torch.randint(0, 4, (5,), generator=g)
BITS = torch.randint(0, 2, (5, 4), generator=g).double()

CASES = [
    ("foundations.mse_loss", lambda z: L.mse_loss(z, P)),
    ("foundations.mae_loss", lambda z: L.l1_loss(z, P)),
    ("foundations.huber_loss", lambda z: L.huber_loss(3 * z, P, delta=0.7)),
    ("foundations.cross_entropy", lambda z: L.cross_entropy(z, IDX)),
    ("foundations.cross_entropy", lambda z: L.cross_entropy(z, P)),
    ("foundations.binary_cross_entropy", lambda z: L.binary_cross_entropy_with_logits(z, BITS)),
    ("foundations.binary_cross_entropy", lambda z: L.binary_cross_entropy(torch.sigmoid(z), BITS)),
    ("foundations.kl_divergence", lambda z: L.kl_div(torch.log_softmax(z, 1), P, reduction="batchmean")),
    ("foundations.kl_divergence", lambda z: L.kl_divergence(torch.softmax(z, 1), P).sum()),
    ("foundations.entropy", lambda z: L.entropy(torch.softmax(z, 1)).sum()),
    ("foundations.mle_nll", lambda z: L.gaussian_nll_loss(z, P, z.exp())),
    ("foundations.hinge_loss", lambda z: L.hinge_loss(z, IDX)),
    ("foundations.l2_regularization", lambda z: L.l2_penalty(z)),
]


@pytest.mark.syllabus("foundations.mse_loss", "foundations.mae_loss", "foundations.huber_loss",
                      "foundations.cross_entropy", "foundations.binary_cross_entropy",
                      "foundations.kl_divergence", "foundations.entropy", "foundations.mle_nll",
                      "foundations.hinge_loss", "foundations.l2_regularization")
@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c[0].split('.')[1]}-{i}" for i, c in enumerate(CASES)])
def test_gradcheck(case):
    _, fn = CASES[case]
    z = r(5, 4).requires_grad_(True)
    assert torch.autograd.gradcheck(fn, (z,), eps=1e-6, atol=1e-6)
