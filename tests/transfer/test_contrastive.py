import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.transfer import SimCLR, SiameseNetwork, nt_xent_loss, simclr_views, triplet_loss


def _nt_xent_by_hand(z1, z2, tau):
    z = torch.cat([z1, z2]).double()
    n2 = len(z)
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2
        sim = lambda a, b: float(z[a] @ z[b] / (z[a].norm() * z[b].norm()))  # noqa: E731
        denom = sum(math.exp(sim(i, k) / tau) for k in range(n2) if k != i)
        total += -math.log(math.exp(sim(i, j) / tau) / denom)
    return total / n2


@pytest.mark.syllabus("adaptation_ssl_meta.nt_xent")
def test_nt_xent_matches_formula_and_masked_cross_entropy():
    torch.manual_seed(0)
    z1, z2 = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    got = nt_xent_loss(z1, z2, 0.5)
    assert got.item() == pytest.approx(_nt_xent_by_hand(z1, z2, 0.5), abs=1e-9)
    # invariant to rescaling each embedding
    scaled = nt_xent_loss(3.0 * z1, z2 * torch.tensor([[0.5], [2.0], [7.0], [1.0]], dtype=torch.float64), 0.5)
    torch.testing.assert_close(scaled, got)
    # temperature matters
    assert abs(nt_xent_loss(z1, z2, 0.1).item() - got.item()) > 1e-3
    with pytest.raises(ValueError, match="temperature"):
        nt_xent_loss(z1, z2, 0.0)
    with pytest.raises(ValueError, match="z2"):
        nt_xent_loss(z1, z2[:3], 0.5)


@pytest.mark.syllabus("adaptation_ssl_meta.simclr")
def test_simclr_pairs_views_and_loss():
    torch.manual_seed(0)
    x = torch.randn(6, 5)
    v1, v2 = simclr_views(x, lambda t, g: t + 0.01 * torch.randn(t.shape, generator=g),
                          torch.Generator().manual_seed(0))
    # row i of both views is the same image (closest by far)
    assert torch.equal(torch.cdist(v1, v2).argmin(1), torch.arange(6))
    enc = nn.Linear(5, 8)
    m = SimCLR(enc, feature_dim=8, proj_dim=4, temperature=0.5)
    loss = m.loss(v1, v2)
    ref = _nt_xent_by_hand(m.projector(enc(v1)).detach(), m.projector(enc(v2)).detach(), 0.5)
    assert loss.item() == pytest.approx(ref, rel=1e-5)
    assert m(x).shape == (6, 8)           # features come from the encoder, not the projector
    # swapping the pairing must raise the loss for near-identical views
    assert m.loss(v1, v2.flip(0)).item() > loss.item()


@pytest.mark.syllabus("adaptation_ssl_meta.triplet_loss")
def test_triplet_equals_torch_and_zero_when_far():
    torch.manual_seed(0)
    a, p, n = torch.randn(3, 10, 4, dtype=torch.float64)
    torch.testing.assert_close(triplet_loss(a, p, n), nn.TripletMarginLoss(margin=1.0, p=2)(a, p, n),
                               atol=1e-6, rtol=0)
    torch.testing.assert_close(triplet_loss(a, p, n, margin=0.3), F.triplet_margin_loss(a, p, n, margin=0.3),
                               atol=1e-6, rtol=0)
    a = torch.zeros(1, 2); p = torch.tensor([[0.5, 0.0]]); n = torch.tensor([[2.0, 0.0]])
    assert triplet_loss(a, p, n).item() == 0.0
    with pytest.raises(ValueError, match="positive"):
        triplet_loss(a, p[:, :1], n)


@pytest.mark.syllabus("adaptation_ssl_meta.siamese_network")
def test_siamese_shares_weights_and_one_shot_argmax():
    torch.manual_seed(0)
    enc = nn.Linear(4, 3)
    m = SiameseNetwork(enc, 3)
    x1, x2 = torch.randn(5, 4), torch.randn(5, 4)
    m(x1, x2).sum().backward()
    assert len(list(m.parameters())) == 4            # one encoder (w, b) + head (w, b): shared, not copied
    # one accumulated gradient equals the sum of the two branches' gradients (autograd by hand)
    W = enc.weight.detach().clone().requires_grad_()
    W2 = enc.weight.detach().clone().requires_grad_()
    g = (x1 @ W.T + enc.bias.detach()) - (x2 @ W2.T + enc.bias.detach())
    (m.head.weight.detach() @ g.abs().T).sum().backward()
    torch.testing.assert_close(enc.weight.grad, W.grad + W2.grad)
    # predict = label of argmax_i p(x, x_i), brute force
    s, sl, q = torch.randn(5, 4), torch.tensor([3, 1, 4, 0, 2]), torch.randn(7, 4)
    brute = torch.stack([sl[torch.stack([m(qi[None], si[None]) for si in s]).squeeze().argmax()] for qi in q])
    assert torch.equal(m.predict(q, s, sl), brute)
