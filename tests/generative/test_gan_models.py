import pytest
import scipy.stats
import torch
from torch import nn

from deepnotes.generative import (GLO, AdversarialAutoencoder, BigGANDiscriminator, BigGANGenerator, CycleGAN,
                                  PatchDiscriminator, ProgressiveGenerator, SequenceGenerator, VAEGAN,
                                  bimodal_regression_data, cycle_consistency_loss, fit_mse_regressor, hinge_discriminator_loss,
                                  lerp, mmd2_rbf, mmd_permutation_test, orthogonal_regularization,
                                  pix2pix_generator_loss, reinforce_loss, slerp, truncated_normal)


@pytest.mark.syllabus("generative.pix2pix")
def test_patchgan_70_gives_30x30_and_loss_ablation():
    D = PatchDiscriminator(6)
    with torch.no_grad():
        out = D(torch.randn(1, 3, 256, 256), torch.randn(1, 3, 256, 256))
    assert out.shape == (1, 1, 30, 30)
    fake, target = torch.rand(2, 1, 8, 8), torch.rand(2, 1, 8, 8)
    logits = torch.randn(2, 1, 3, 3)
    l1 = (fake - target).abs().mean()
    bce = nn.BCEWithLogitsLoss()(logits, torch.ones_like(logits))
    assert torch.allclose(pix2pix_generator_loss(logits, fake, target), bce + 100 * l1)
    assert torch.allclose(pix2pix_generator_loss(logits, fake, target, l1_weight=0), bce)      # lambda = 0
    assert torch.allclose(pix2pix_generator_loss(None, fake, target), 100 * l1)                 # GAN off
    with pytest.raises(ValueError, match="y"):
        D(torch.randn(1, 3, 64, 64), torch.randn(1, 3, 32, 32))


@pytest.mark.syllabus("generative.cycle_consistency_loss")
def test_cycle_loss_zero_for_inverse_and_symmetric():
    x, y = torch.randn(5, 4), torch.randn(5, 4)
    G, F_ = (lambda t: 2 * t + 1), (lambda t: (t - 1) / 2)
    assert cycle_consistency_loss(x, y, G, F_).item() < 1e-6
    G2, F2 = (lambda t: t ** 3), (lambda t: t + 0.5)
    a = cycle_consistency_loss(x, y, G2, F2)
    ref = (F2(G2(x)) - x).abs().sum(1).mean() + (G2(F2(y)) - y).abs().sum(1).mean()
    assert torch.allclose(a, ref)
    assert torch.allclose(cycle_consistency_loss(y, x, F2, G2), a)                  # swap the roles


@pytest.mark.syllabus("generative.cyclegan")
def test_cyclegan_updates_four_networks_and_identity_cycle_zero():
    torch.manual_seed(0)
    nets = [nn.Linear(4, 4) for _ in range(2)] + [nn.Linear(4, 1) for _ in range(2)]
    model = CycleGAN(*nets)
    before = [[p.detach().clone() for p in n.parameters()] for n in nets]
    opt_g = torch.optim.SGD(list(model.G.parameters()) + list(model.F.parameters()), 0.1)
    opt_d = torch.optim.SGD(list(model.D_X.parameters()) + list(model.D_Y.parameters()), 0.1)
    model.step(torch.randn(8, 4), torch.randn(8, 4), opt_g, opt_d)
    for n, b in zip(nets, before):
        assert not all(torch.equal(p, q) for p, q in zip(n.parameters(), b))
    ident = CycleGAN(nn.Identity(), nn.Identity(), nets[2], nets[3])
    x = torch.randn(8, 4)
    assert ident.generator_loss(x, x)["cyc"].item() == 0


@pytest.mark.syllabus("generative.progressive_gan")
def test_progressive_fade_in():
    torch.manual_seed(0)
    G = ProgressiveGenerator(8, 16, max_stage=1)
    z = torch.randn(3, 8)
    old = G(z, stage=0)
    assert old.shape == (3, 1, 4, 4)
    up = old.repeat_interleave(2, -1).repeat_interleave(2, -2)
    assert torch.allclose(G(z, stage=1, alpha=0.0), up)
    full = G(z, stage=1, alpha=1.0)
    with torch.no_grad():
        G.to_rgb[0].weight.add_(1.0)                                             # change the old path
    assert torch.allclose(G(z, stage=1, alpha=1.0), full)
    assert not torch.allclose(G(z, stage=1, alpha=0.5), 0.5 * (full + up))      # old path changed
    with pytest.raises(ValueError, match="alpha"):
        G(z, stage=1, alpha=1.5)


@pytest.mark.syllabus("generative.truncation_trick")
def test_truncated_normal_matches_scipy():
    z = truncated_normal((4000,), 0.5, torch.Generator().manual_seed(0))
    assert z.abs().max() <= 0.5
    assert scipy.stats.kstest(z.numpy(), scipy.stats.truncnorm(-0.5, 0.5).cdf).pvalue > 0.01
    assert scipy.stats.kstest(z.numpy(), scipy.stats.truncnorm(-1, 1).cdf).pvalue < 0.01
    with pytest.raises(ValueError, match="threshold"):
        truncated_normal((3,), 0)


@pytest.mark.syllabus("generative.latent_interpolation")
def test_lerp_slerp_endpoints_and_norm():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(6, generator=g), torch.randn(6, generator=g)
    z1 = z1 / z1.norm() * z0.norm()
    a = torch.linspace(0, 1, 11)
    G = nn.Sequential(nn.Linear(6, 5), nn.Tanh())
    for f in (lerp, slerp):
        path = f(z0, z1, a)
        assert torch.allclose(G(path[:1]), G(z0[None]), atol=1e-6) and torch.allclose(G(path[-1:]), G(z1[None]), atol=1e-6)
    assert torch.allclose(slerp(z0, z1, a).norm(dim=1), z0.norm().expand(11), atol=1e-5)
    assert lerp(z0, z1, a)[5].norm() < z0.norm() - 1e-3                          # lerp cuts inside the sphere


@pytest.mark.syllabus("generative.latent_optimization")
def test_glo_codes_receive_gradients():
    glo = GLO(10, 4, 64, (16,))
    glo.loss(torch.arange(10), torch.rand(10, 64)).backward()
    assert (glo.codes.weight.grad.abs().sum(1) > 0).all()                       # every used code gets a gradient
    assert glo.codes.weight.grad.shape == (10, 4)


@pytest.mark.slow
@pytest.mark.syllabus("generative.latent_optimization")
def test_glo_codes_get_gradients_and_fit():
    from deepnotes.data import load
    x = load("digits", "train", flatten=True).tensors[0][:100]
    torch.manual_seed(0)
    glo = GLO(100, 8, 64, (128,))
    opt = torch.optim.Adam(glo.parameters(), 1e-2)
    idx = torch.arange(100)
    first = glo.loss(idx, x).item()
    first_codes = glo.codes.weight.detach().clone()
    for _ in range(300):
        loss = glo.loss(idx, x)
        opt.zero_grad()
        loss.backward()
        assert glo.codes.weight.grad.abs().sum() > 0
        opt.step()
    assert loss.item() < 0.01 < first
    assert not torch.allclose(glo.codes.weight, first_codes)
    assert glo.sample(4, torch.Generator().manual_seed(0)).shape == (4, 64)


@pytest.mark.syllabus("generative.sequence_gan")
def test_reinforce_nonzero_and_unbiased():
    torch.manual_seed(0)
    gen = SequenceGenerator(5, 8)
    toks, logp = gen.sample(64, 4, torch.Generator().manual_seed(0))
    assert toks.shape == (64, 4) and logp.shape == (64,)
    reward = (toks == 2).float().mean(1)
    grads = torch.autograd.grad(reinforce_loss(logp, reward), list(gen.parameters()), allow_unused=True)
    assert sum(g.abs().sum() for g in grads if g is not None) > 0
    greedy, _ = gen.sample(4, 4, greedy=True)
    assert not greedy.dtype.is_floating_point                                   # argmax tokens: no gradient path
    # one-step toy: E[(R(a)) grad log pi(a)] equals the exact grad of sum_a pi(a) R(a)
    theta = torch.tensor([0.2, -0.5, 1.0], requires_grad=True)
    r = torch.tensor([1.0, 3.0, -2.0])
    (exact,) = torch.autograd.grad(-(torch.softmax(theta, 0) * r).sum(), theta)
    a = torch.multinomial(torch.softmax(theta, 0).detach(), 200000, replacement=True,
                          generator=torch.Generator().manual_seed(0))
    (est,) = torch.autograd.grad(reinforce_loss(torch.log_softmax(theta, 0)[a], r[a], baseline=0.0), theta)
    assert torch.allclose(est, exact, atol=0.02)


@pytest.mark.syllabus("generative.biggan")
def test_biggan_shapes_and_class_conditional_gains():
    torch.manual_seed(0)
    G, D = BigGANGenerator(16, 10, ch=8), BigGANDiscriminator(10, ch=8)
    z, y = torch.randn(4, 16), torch.tensor([0, 1, 2, 3])
    x = G(z, y)
    assert x.shape == (4, 3, 32, 32) and x.abs().max() <= 1
    assert D(x, y).shape == (4, 1)
    bn = G.blocks[0].bn1
    assert not torch.allclose(bn.gain(torch.tensor([0])), bn.gain(torch.tensor([1])))
    h = torch.randn(4, 32, 4, 4)
    same_h = h[:1].expand(2, -1, -1, -1)
    G.eval()
    out = bn(same_h, torch.tensor([0, 1]))
    assert not torch.allclose(out[0], out[1])                                   # gains differ by class
    assert torch.allclose(hinge_discriminator_loss(torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])),
                          torch.tensor(0.25 + 0.5))
    lin = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.linalg.qr(torch.randn(3, 3))[0])
    assert orthogonal_regularization(lin).item() < 1e-10


@pytest.mark.syllabus("generative.vae_gan")
def test_vae_gan_updates_all_three_components():
    torch.manual_seed(0)
    model = VAEGAN(64, 4, (32,), (32, 16))
    parts = [model.vae.encoder, model.vae.decoder, model.dis]
    before = [[p.detach().clone() for p in m.parameters()] for m in parts]
    opts = [torch.optim.Adam(m.parameters(), 1e-3) for m in parts]
    out = model.step(torch.rand(16, 64), *opts, generator=torch.Generator().manual_seed(0))
    assert all(map(lambda v: torch.isfinite(torch.tensor(v)), out.values()))
    for m, b in zip(parts, before):
        assert all(not torch.equal(p, q) for p, q in zip(m.parameters(), b))


@pytest.mark.syllabus("generative.adversarial_autoencoder")
def test_aae_step_and_mmd():
    torch.manual_seed(0)
    aae = AdversarialAutoencoder(64, 2, (32,), (16,))
    opt_ae = torch.optim.Adam(list(aae.encoder.parameters()) + list(aae.decoder.parameters()), 1e-3)
    opt_d = torch.optim.Adam(aae.code_discriminator.parameters(), 1e-3)
    opt_e = torch.optim.Adam(aae.encoder.parameters(), 1e-3)
    d0 = [p.detach().clone() for p in aae.code_discriminator.parameters()]
    out = aae.step(torch.rand(16, 64), opt_ae, opt_d, opt_e)
    assert set(out) == {"rec", "d_loss", "g_loss"}
    assert all(not torch.equal(p, q) for p, q in zip(aae.code_discriminator.parameters(), d0))
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(80, 2, generator=g), torch.randn(80, 2, generator=g)
    # unbiased MMD^2 by hand with the Gaussian kernel
    k = lambda u, v: torch.exp(-((u[:, None] - v[None]) ** 2).sum(-1) / 2)
    n = 80
    ref = ((k(a, a).sum() - n) / (n * (n - 1)) + (k(b, b).sum() - n) / (n * (n - 1)) - 2 * k(a, b).mean())
    assert torch.allclose(mmd2_rbf(a, b), ref, atol=1e-6)
    assert mmd_permutation_test(a, b, permutations=30, generator=g)[1] > 0.05
    assert mmd_permutation_test(a, b + 1.0, permutations=100, generator=g)[1] < 0.01


@pytest.mark.syllabus("generative.mse_mode_averaging")
def test_mse_regressor_predicts_the_mean_of_two_modes():
    torch.manual_seed(0)
    x, y = bimodal_regression_data(2000, generator=torch.Generator().manual_seed(0))
    assert ((y - 1).abs() < 0.3).float().mean() > 0.4 and ((y + 1).abs() < 0.3).float().mean() > 0.4
    net = fit_mse_regressor(x, y, steps=200)
    with torch.no_grad():
        pred = net(torch.linspace(-0.9, 0.9, 19)[:, None])
    assert pred.abs().max().item() < 0.05 + abs(y.mean().item())               # E[y|x] = 0 up to sampling
    assert pred.abs().max().item() < 0.1
