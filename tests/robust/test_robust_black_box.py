import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.robust import (QueryCounter, SurrogateEnsemble, finite_difference_attack, finite_difference_gradient,
                              fgsm, fooling_rate, lagrangian_attack, one_pixel_attack, perturbation_norm,
                              success_rate, transfer_attack, universal_perturbation)

from .conftest import accuracy, mlp, train


@pytest.mark.syllabus("robustness.lagrangian_attack")
def test_lagrangian_distance_decreases_with_lambda(digits_mlp, digits):
    _, _, xt, yt = digits
    x, y = xt[:40], yt[:40]
    dists = [float(perturbation_norm(lagrangian_attack(digits_mlp, x, y, lam=lam, steps=60) - x, 2).mean())
             for lam in (0.0, 0.3, 1.0, 3.0)]
    assert all(a > b for a, b in zip(dists, dists[1:])), dists
    # lam = 0 is plain Adam ascent of the loss (clamped to [0, 1])
    z = x.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=0.01)
    for _ in range(60):
        opt.zero_grad()
        (-F.cross_entropy(digits_mlp(z), y, reduction="none").sum()).backward()
        opt.step()
        with torch.no_grad():
            z.clamp_(0, 1)
    torch.testing.assert_close(lagrangian_attack(digits_mlp, x, y, lam=0.0, steps=60), z.detach())
    with pytest.raises(ValueError, match="lam"):
        lagrangian_attack(digits_mlp, x, y, lam=-1.0)


@pytest.mark.syllabus("robustness.transfer_attack")
def test_transfer_beats_noise_and_ensemble(digits, digits_mlp, digits_cnn, digits_logreg):
    x, y, xt, yt = digits
    eps = 0.15
    g = torch.Generator().manual_seed(0)
    noise = (xt + eps * (torch.randint(0, 2, xt.shape, generator=g) * 2 - 1)).clamp(0, 1)
    _, s_mlp = transfer_attack(digits_mlp, digits_cnn, xt, yt, eps)
    _, s_lr = transfer_attack(digits_logreg, digits_cnn, xt, yt, eps)
    _, s_ens = transfer_attack([digits_mlp, digits_logreg], digits_cnn, xt, yt, eps)
    s_noise = success_rate(digits_cnn, xt, noise, yt)
    assert s_mlp > s_noise + 0.1
    assert s_ens >= max(s_mlp, s_lr)
    assert isinstance(SurrogateEnsemble([digits_mlp]), nn.Module)


@pytest.mark.syllabus("robustness.finite_difference_attack")
def test_finite_difference_matches_autograd():
    torch.manual_seed(0)
    smooth = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    x, y = torch.rand(3, 1, 8, 8), torch.tensor([1, 2, 3])
    counter = QueryCounter(smooth)
    est = finite_difference_gradient(counter, x, y, h=1e-3)
    assert counter.queries == 3 * (64 + 1)
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(smooth(xr), y, reduction="sum").backward()
    cos = F.cosine_similarity(est.flatten(1), xr.grad.flatten(1), dim=1)
    assert (cos > 0.99).all(), cos
    adv = finite_difference_attack(smooth, x, y, eps=0.05)
    assert (adv - x).abs().max() <= 0.05 + 1e-6 and adv.min() >= 0 and adv.max() <= 1


@pytest.mark.syllabus("robustness.one_pixel_attack")
def test_one_pixel_attack(digits_cnn, digits):
    _, _, xt, yt = digits
    wins = 0
    for i in range(12):
        adv, flipped = one_pixel_attack(digits_cnn, xt[i], int(yt[i]), maxiter=15, popsize=10, seed=i)
        assert int(perturbation_norm((adv - xt[i])[None], 0)) <= 1
        wins += flipped
        if wins:
            break
    assert wins >= 1


@pytest.mark.syllabus("robustness.universal_perturbation")
def test_universal_beats_random(digits_mlp, digits):
    x, y, xt, _ = digits
    eps = 0.15
    delta = universal_perturbation(digits_mlp, x, y, eps, steps=60, generator=torch.Generator().manual_seed(0))
    assert delta.abs().max() <= eps + 1e-6 and delta.shape == (1, 1, 8, 8)
    rnd = eps * (torch.randint(0, 2, delta.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1)
    assert fooling_rate(digits_mlp, xt, delta) > fooling_rate(digits_mlp, xt, rnd) + 0.05
