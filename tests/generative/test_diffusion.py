import math

import pytest
import torch
from scipy.stats import chisquare

from deepnotes.generative import (Autoencoder, DDPMSchedule, DiffusionMLP, DiffusionUNet, LatentDiffusion,
                                  RandomWalkProcess, classifier_free_guidance, ddim_sample, ddpm_sample,
                                  drop_condition, eps_prediction_loss, x_prediction_loss)

S = DDPMSchedule()


@pytest.mark.syllabus("generative.diffusion_forward_process")
def test_schedule_and_closed_form_marginal_against_iterated_chain():
    assert abs(S.alphas_cumprod[-1].item() - 4.04e-5) < 0.01e-5
    torch.testing.assert_close(S.betas[[0, -1]], torch.tensor([1e-4, 0.02], dtype=torch.float64))
    g = torch.Generator().manual_seed(0)
    n, x0 = 100_000, 2.0
    x = torch.full((n, 1), x0, dtype=torch.float64)
    for t in range(1, 301):
        x = S.q_step(x, torch.full((n,), t), torch.randn(n, 1, generator=g, dtype=torch.float64))
        if t in (50, 300):
            scale, var = S.marginal(t)
            assert abs(x.mean().item() - scale * x0) < 0.01 * scale * x0
            assert abs(x.var().item() - var) < 0.01 * var + 1e-4
            direct = S.q_sample(torch.full((n, 1), x0, dtype=torch.float64), torch.full((n,), t),
                                torch.randn(n, 1, generator=g, dtype=torch.float64))
            assert abs(direct.var().item() - var) < 0.01 * var + 1e-4
    rw = RandomWalkProcess(100, 0.1)
    _, xt, _ = rw.q_pair(torch.zeros(50_000, 1), torch.full((50_000,), 100), g)
    assert abs(xt.var().item() - 100 * 0.01) < 0.03                          # variance t sigma^2, unbounded
    with pytest.raises(ValueError, match="t"):
        S.q_sample(torch.zeros(1, 1), torch.tensor([0]), torch.zeros(1, 1))


@pytest.mark.syllabus("generative.diffusion_eps_prediction_loss")
def test_eps_loss_oracle_zero_and_zero_predictor_equals_dimension():
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(20000, 6, generator=g, dtype=torch.float64)
    t = S.sample_timesteps(len(x0), torch.Generator().manual_seed(1))
    abar = S.alphas_cumprod[t - 1][:, None]
    oracle = lambda xt, tt: (xt - abar.sqrt() * x0) / (1 - abar).sqrt()
    assert eps_prediction_loss(oracle, x0, S, torch.Generator().manual_seed(2), t=t).item() < 1e-18
    zero = eps_prediction_loss(lambda xt, tt: torch.zeros_like(xt), x0, S, torch.Generator().manual_seed(2))
    assert abs(zero.item() - 6) < 4 * math.sqrt(2 * 6 / len(x0))              # E||eps||^2 = D within MC error


@pytest.mark.syllabus("generative.diffusion_x_prediction_loss")
def test_x_loss_oracle_zero_and_uniform_timesteps():
    x0 = torch.randn(500, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    t = S.sample_timesteps(500, torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(2)
    _, e2 = torch.randn(500, 3, generator=g, dtype=torch.float64), torch.randn(500, 3, generator=g, dtype=torch.float64)
    beta = S.betas[t - 1][:, None]
    oracle = lambda xt, tt: (xt - beta.sqrt() * e2) / (1 - beta).sqrt()     # recovers the true x_{t-1}
    assert x_prediction_loss(oracle, x0, S, torch.Generator().manual_seed(2), t=t).item() < 1e-20
    assert x_prediction_loss(lambda xt, tt: xt, x0, S, torch.Generator().manual_seed(2), t=t).item() > 0
    ts = S.sample_timesteps(200_000, torch.Generator().manual_seed(3))
    assert ts.min() == 1 and ts.max() == 1000
    assert chisquare(torch.bincount(ts, minlength=1001)[1:].numpy()).pvalue > 1e-3


@pytest.mark.syllabus("generative.diffusion_sampling")
def test_ddpm_with_exact_eps_reproduces_gaussian_data():
    mu, s = 1.5, 0.5

    def exact_eps(x, t):                       # E[eps | x_t] for x_0 ~ N(mu, s^2)
        abar = S.alphas_cumprod[t - 1][:, None].to(x.dtype)
        return (1 - abar).sqrt() * (x - abar.sqrt() * mu) / (abar * s ** 2 + 1 - abar)
    x = ddpm_sample(exact_eps, (10_000, 1), S, torch.Generator().manual_seed(0), dtype=torch.float64)
    assert abs(x.mean().item() - mu) < 0.02 * mu and abs(x.std().item() - s) < 0.02 * s
    d = ddim_sample(exact_eps, (10_000, 1), S, torch.Generator().manual_seed(0), dtype=torch.float64, steps=100)
    assert abs(d.mean().item() - mu) < 0.02 * mu and abs(d.std().item() - s) < 0.05 * s


@pytest.mark.syllabus("generative.diffusion_unet")
def test_unet_shape_time_dependence_and_shared_weights():
    torch.manual_seed(0)
    net = DiffusionUNet(1, 16, num_steps=1000, time_dim=32)
    x = torch.randn(3, 1, 8, 8)
    t1, t2 = torch.tensor([1, 500, 1000]), torch.tensor([2, 501, 999])
    out = net(x, t1)
    assert out.shape == x.shape
    assert not torch.allclose(out, net(x, t2))
    # one set of weights for every t: both time steps send gradient into the same parameters
    g1 = torch.autograd.grad(net(x, t1).sum(), net.down1.c1.weight)[0]
    g2 = torch.autograd.grad(net(x, t2).sum(), net.down1.c1.weight)[0]
    assert g1.abs().sum() > 0 and g2.abs().sum() > 0 and not torch.allclose(g1, g2)
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in DiffusionUNet(1, 16, 10, 32).parameters())
    cond = DiffusionUNet(1, 16, 1000, 32, num_classes=10, context_dim=12)
    ctx = torch.randn(3, 4, 12)
    assert not torch.allclose(cond(x, t1, torch.tensor([1, 2, 3]), ctx), cond(x, t1, torch.tensor([4, 5, 6]), ctx))
    assert not torch.allclose(cond(x, t1, None, ctx), cond(x, t1, None, torch.randn(3, 4, 12)))
    with pytest.raises(ValueError, match="t"):
        net(x, torch.tensor([1]))


@pytest.mark.syllabus("generative.conditional_diffusion")
def test_cfg_scale1_is_conditional_scale0_unconditional():
    torch.manual_seed(0)
    net = DiffusionMLP(4, 32, 2, num_steps=100, num_classes=10)
    x, t, y = torch.randn(5, 4), torch.randint(1, 101, (5,)), torch.randint(10, (5,))
    torch.testing.assert_close(classifier_free_guidance(net, x, t, y, 1.0, 10), net(x, t, y))
    torch.testing.assert_close(classifier_free_guidance(net, x, t, y, 0.0, 10), net(x, t, torch.full_like(y, 10)))
    s = 3.0
    torch.testing.assert_close(classifier_free_guidance(net, x, t, y, s, 10),
                               net(x, t, torch.full_like(y, 10)) + s * (net(x, t, y) - net(x, t, torch.full_like(y, 10))))
    dropped = drop_condition(torch.zeros(20000, dtype=torch.long), 10, 0.1, torch.Generator().manual_seed(0))
    assert abs((dropped == 10).float().mean().item() - 0.1) < 0.01


@pytest.mark.syllabus("generative.latent_diffusion")
def test_latent_diffusion_runs_denoiser_on_latents():
    torch.manual_seed(0)
    ae = Autoencoder(64, 6, (32,))
    sched = DDPMSchedule(50)
    den = DiffusionMLP(6, 32, 2, num_steps=50)
    seen = []
    den.register_forward_hook(lambda m, inp, out: seen.append(tuple(inp[0].shape)))
    ld = LatentDiffusion(ae, den, sched)
    x = torch.rand(16, 64)
    scale = ld.fit_scale(x)
    torch.testing.assert_close(ld.encode(x).std(), torch.tensor(1.0))
    torch.testing.assert_close(ld.decode(ld.encode(x)), ae(x))
    ld.loss(x).backward()
    out = ld.sample(3, 6, torch.Generator().manual_seed(0))
    assert out.shape == (3, 64) and scale > 0
    assert set(seen) == {(16, 6), (3, 6)}                                    # every denoiser call sees (B, k)
    with pytest.raises(ValueError, match="autoencoder"):
        LatentDiffusion(torch.nn.Linear(2, 2), den, sched)
