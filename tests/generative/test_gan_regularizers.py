import copy

import pytest
import torch
from torch import nn

from deepnotes.generative import (GANDiscriminator, GANGenerator, InstanceNoise, MinibatchStdDev, clip_weights_,
                                  gan_train_step, gradient_penalty, mode_seeking_term, spectral_norm,
                                  wgan_critic_loss)


@pytest.mark.syllabus("generative.gradient_penalty")
def test_gradient_penalty_hand_computation_and_linear_critic():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(6, 3, generator=g, dtype=torch.float64)
    eps = torch.rand(6, generator=g, dtype=torch.float64)
    # f(x) = 1/2 |x|^2 has grad x at x-hat, so the penalty is 10 * mean(|x-hat| - 1)^2
    xhat = eps[:, None] * real + (1 - eps[:, None]) * fake
    hand = 10 * ((xhat.norm(dim=1) - 1) ** 2).mean()
    got = gradient_penalty(lambda x: 0.5 * (x ** 2).sum(1, keepdim=True), real, fake, eps=eps)
    assert abs(got.item() - hand.item()) < 1e-12
    lin = nn.Linear(3, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.6, 0.0, 0.8]]))
    assert gradient_penalty(lin, real, fake, generator=g).item() < 1e-12
    with pytest.raises(ValueError, match="fake"):
        gradient_penalty(lin, real, fake[:3])


@pytest.mark.syllabus("generative.gradient_penalty")
def test_gradient_penalty_gradient_wrt_weights_matches_finite_differences():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    real, fake, eps = torch.randn(4, 2).double(), torch.randn(4, 2).double(), torch.rand(4).double()
    names = [n for n, _ in critic.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in critic.parameters())

    def penalty(*ps):
        f = lambda x: torch.func.functional_call(critic, dict(zip(names, ps)), (x,))
        return gradient_penalty(f, real, fake, eps=eps)
    assert torch.autograd.gradcheck(penalty, params, eps=1e-6, atol=1e-5)


@pytest.mark.syllabus("generative.spectral_norm")
def test_spectral_norm_normalises_and_matches_torch():
    torch.manual_seed(0)
    lin = spectral_norm(nn.Linear(20, 10), generator=torch.Generator().manual_seed(0))
    for _ in range(50):
        lin(torch.randn(2, 20))
    assert abs(torch.linalg.matrix_norm(lin.weight.detach(), ord=2).item() - 1) < 1e-3
    for make in (lambda: nn.Linear(7, 5), lambda: nn.Conv2d(3, 4, 3), lambda: nn.ConvTranspose2d(4, 3, 3)):
        a = make()
        b = copy.deepcopy(a)
        nn.utils.parametrizations.spectral_norm(a)
        spectral_norm(b)
        assert set(a.state_dict()) == set(b.state_dict())
        b.load_state_dict(a.state_dict())                     # same u, v -> same outputs
        x = torch.randn(2, 7) if isinstance(a, nn.Linear) else torch.randn(2, a.in_channels, 6, 6)
        for _ in range(3):
            assert torch.allclose(a(x), b(x), atol=1e-6)
        a.eval(), b.eval()
        assert torch.allclose(a(x), b(x), atol=1e-6)
    with pytest.raises(ValueError, match="name"):
        spectral_norm(nn.Linear(2, 2), name="kernel")


@pytest.mark.syllabus("generative.weight_clipping", "generative.wgan")
def test_weight_clipping_and_linear_critic_recovers_w1():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(4000, 1, generator=g), 2 + torch.randn(4000, 1, generator=g)
    critic = nn.Linear(1, 1)
    opt = torch.optim.RMSprop(critic.parameters(), lr=5e-2)
    for _ in range(100):
        loss = wgan_critic_loss(critic(real), critic(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        clip_weights_(critic, 1.0)                              # |w| <= 1: 1-Lipschitz linear critic
        assert all(p.abs().max() <= 1.0 for p in critic.parameters())
    value = (critic(real).mean() - critic(fake).mean()).item()
    assert abs(value - 2.0) < 0.1
    D = GANDiscriminator(3, (8,))
    clip_weights_(D, 0.01)
    assert max(p.abs().max().item() for p in D.parameters()) <= 0.01
    with pytest.raises(ValueError, match="c"):
        clip_weights_(D, 0)


class _Spy(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner, self.inputs = inner, []

    def forward(self, x):
        self.inputs.append(x.detach().clone())
        return self.inner(x)


def _snapshot(m):
    return [p.detach().clone() for p in m.parameters()]


@pytest.mark.syllabus("generative.gan_training")
def test_frozen_network_unchanged_during_the_others_step():
    torch.manual_seed(0)
    G, D = GANGenerator(2, 2, (8,)), GANDiscriminator(2, (8,))
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-2), torch.optim.Adam(D.parameters(), 1e-2)
    g_during_d, d_after = [], []
    step_d, step_g = opt_d.step, opt_g.step
    opt_d.step = lambda *a, **k: (g_during_d.append(_snapshot(G)), step_d(*a, **k))[1]
    opt_g.step = lambda *a, **k: (d_after.append(_snapshot(D)), step_g(*a, **k))[1]
    g0 = _snapshot(G)
    gan_train_step(G, D, opt_g, opt_d, lambda n: torch.randn(n, 2) + 3, 2, 16, loss="nonsat", d_steps=3)
    assert len(g_during_d) == 3 and len(d_after) == 1
    assert all(torch.equal(a, b) for snap in g_during_d for a, b in zip(snap, g0))     # G frozen in D steps
    assert all(torch.equal(a, b) for a, b in zip(d_after[0], _snapshot(D)))            # D frozen in G step
    assert not all(torch.equal(a, b) for a, b in zip(g0, _snapshot(G)))
    with pytest.raises(ValueError, match="loss"):
        gan_train_step(G, D, opt_g, opt_d, lambda n: torch.randn(n, 2), 2, loss="hinge")


@pytest.mark.slow
@pytest.mark.syllabus("generative.gan_training")
def test_1d_gan_matches_target_moments():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    G, D = GANGenerator(1, 1, (16,)), GANDiscriminator(1, (32,))
    opt_g = torch.optim.Adam(G.parameters(), 2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-3, betas=(0.5, 0.999))
    for t in range(3000):
        gan_train_step(G, D, opt_g, opt_d, lambda n: 4 + 1.25 * torch.randn(n, 1, generator=g), 1, 128, generator=g)
    with torch.no_grad():
        x = G.sample(20000, generator=g)
    assert abs(x.mean().item() - 4) < 0.1 and abs(x.std().item() - 1.25) < 0.15


@pytest.mark.syllabus("generative.instance_noise")
def test_instance_noise_on_both_batches_and_zero_sigma_unchanged():
    sched = InstanceNoise(0.5, 100)
    assert sched.sigma(0) == 0.5 and sched.sigma(50) == pytest.approx(0.25) and sched.sigma(100) == 0.0
    x = torch.zeros(20000, 1)
    assert sched(x, 200) is x
    assert abs(sched(x, 50, torch.Generator().manual_seed(0)).std().item() - 0.25) < 0.01

    def run(noise):
        torch.manual_seed(0)
        G, D = GANGenerator(1, 1, (8,)), _Spy(GANDiscriminator(1, (8,)))
        opt_g, opt_d = torch.optim.SGD(G.parameters(), 0.1), torch.optim.SGD(D.parameters(), 0.1)
        real = torch.full((4096, 1), 3.0)
        gan_train_step(G, D, opt_g, opt_d, lambda n: real[:n], 1, 4096, instance_noise=noise, step=50,
                       generator=torch.Generator().manual_seed(1))
        return D.inputs, _snapshot(G) + _snapshot(D)
    inputs, _ = run(InstanceNoise(0.5, 100))
    assert abs((inputs[0] - 3.0).std().item() - 0.25) < 0.01                 # real batch got sigma_t = 0.25
    clean, p_none = run(None)
    assert abs((inputs[1] - clean[1]).std().item() - 0.25) < 0.01           # fake batch too
    _, p_zero = run(InstanceNoise(0.0, 100))
    assert all(torch.equal(a, b) for a, b in zip(p_none, p_zero))


@pytest.mark.syllabus("generative.mode_collapse_mitigation")
def test_minibatch_stddev_and_mode_seeking():
    layer = MinibatchStdDev()
    same = torch.ones(5, 3) * torch.tensor([1.0, -2.0, 0.5])
    assert layer(same).shape == (5, 4) and torch.all(layer(same)[:, -1] == 0)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    out = layer(x)
    assert torch.allclose(out[:, -1], x.std(0, unbiased=False).mean().expand(6), atol=1e-5) and out[0, -1] > 0
    imgs = torch.randn(4, 2, 3, 3)
    assert layer(imgs).shape == (4, 3, 3, 3)
    z1, z2 = torch.randn(8, 4), torch.randn(8, 4)
    G_const = lambda z: torch.zeros(len(z), 5)
    assert mode_seeking_term(G_const(z1), G_const(z2), z1, z2).item() == 0
    lin = nn.Linear(4, 5)
    assert mode_seeking_term(lin(z1), lin(z2), z1, z2).item() > 0
    with pytest.raises(ValueError, match="x"):
        layer(torch.randn(1, 3))
