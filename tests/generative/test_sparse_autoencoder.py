import pytest
import torch

from deepnotes.data import load
from deepnotes.generative import SparseAutoencoder, kl_sparsity, l1_sparsity


@pytest.mark.syllabus("generative.sparse_autoencoder")
def test_l1_weight_lowers_activity_monotonically():
    x = load("digits", "train", flatten=True).tensors[0]
    mean_abs, active = [], []
    for lam in (0.0, 0.05, 0.2, 0.5):
        torch.manual_seed(0)
        sae = SparseAutoencoder(64, 128, penalty="l1", weight=lam)
        opt = torch.optim.Adam(sae.parameters(), lr=3e-3)
        for _ in range(600):
            loss = sae.loss(x[torch.randint(len(x), (256,))])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            h = sae.encode(x)
        mean_abs.append(h.abs().mean().item())
        active.append((h > 1e-6).float().mean().item())
    assert all(a > b for a, b in zip(mean_abs, mean_abs[1:])), mean_abs
    assert all(a < 0.2 for a in active[2:]), active            # lambda >= 0.2: < 20% active


@pytest.mark.syllabus("generative.sparse_autoencoder")
def test_penalties_match_hand_formulas():
    h = torch.rand(10, 6, dtype=torch.float64)
    torch.testing.assert_close(l1_sparsity(h), h.abs().sum(1).mean())
    rho, r = 0.05, h.mean(0)
    hand = sum(rho * torch.log(rho / r[j]) + (1 - rho) * torch.log((1 - rho) / (1 - r[j])) for j in range(6))
    torch.testing.assert_close(kl_sparsity(h, rho), hand)
    assert kl_sparsity(torch.full((4, 3), 0.05, dtype=torch.float64)).abs() < 1e-12
    with pytest.raises(ValueError, match="penalty"):
        SparseAutoencoder(4, 4, penalty="l2")
