import pytest
import torch
import torch.nn.functional as F

from deepnotes.data import load
from deepnotes.generative import (DiscreteAutoencoder, DisentangledAutoencoder, Seq2Seq2SeqAutoencoder, VQVAE,
                                  VectorQuantizer, gumbel_softmax_sample, two_factor_digits)


@pytest.mark.syllabus("generative.discrete_latent_ae")
def test_onehot_clusters_beat_majority_rate():
    x, y = load("digits", "train", flatten=True).tensors
    torch.manual_seed(0)
    ae = DiscreteAutoencoder(64, 10, (64,), code="onehot", tau=1.0, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(ae.parameters(), lr=3e-3)
    for _ in range(600):
        xb = x[torch.randint(len(x), (128,))]
        loss = ((ae(xb) - xb) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    ae.eval()
    cl = ae.cluster(x)
    purity = sum(torch.bincount(y[cl == k]).max().item() for k in cl.unique()) / len(y)
    majority = torch.bincount(y).max().item() / len(y)
    assert purity > majority + 0.1, (purity, majority)


@pytest.mark.syllabus("generative.vq_vae")
def test_vq_decoder_input_is_codebook_row_and_straight_through():
    vq = VectorQuantizer(5, 3, generator=torch.Generator().manual_seed(0))
    z_e = torch.randn(7, 3, requires_grad=True)
    z_q, loss, idx = vq(z_e)
    rows = vq.embedding.weight
    torch.testing.assert_close(z_q, rows[idx])
    brute = torch.stack([((z_e[i] - rows) ** 2).sum(1).argmin() for i in range(7)])
    assert torch.equal(idx, brute)
    target = torch.randn(7, 3)
    recon = ((z_q - target) ** 2).sum()
    g_e, = torch.autograd.grad(recon, z_e, retain_graph=True)
    torch.testing.assert_close(g_e, 2 * (z_q - target).detach())           # dL/dz_e = dL/dz_q
    e = rows[idx].detach()
    torch.testing.assert_close(loss, F.mse_loss(e, z_e.detach()) + 0.25 * F.mse_loss(z_e.detach(), e))
    with pytest.raises(ValueError, match="z_e"):
        vq(torch.randn(2, 4))


@pytest.mark.syllabus("generative.vq_vae")
def test_vqvae_uses_codebook_on_digits():
    x = load("digits", "train", flatten=True).tensors[0]
    torch.manual_seed(0)
    model = VQVAE(64, 32, 8, (64,))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(400):
        out = model(x[torch.randint(len(x), (128,))])
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        if step % 100 == 99:
            with torch.no_grad():
                out = model(x)
            used = torch.bincount(out["indices"], minlength=32) > 0
            model.quantizer.restart_dead(out["z_e"], used)
    with torch.no_grad():
        out = model(x)
    # straight-through: z + (q - z).detach() equals the code vector q up to float rounding
    torch.testing.assert_close(out["z_q"], model.quantizer.embedding.weight[out["indices"]])
    assert (torch.bincount(out["indices"], minlength=32) > 0).float().mean() > 0.5


@pytest.mark.syllabus("generative.feature_disentanglement")
def test_two_factor_data_and_grouped_loss():
    imgs = load("digits", "train").tensors[0][:6, 0]
    style = torch.tensor([0, 1, 2, 3, 0, 1])
    x = two_factor_digits(imgs, style)
    assert x.shape == (6, 80)
    grid = x.view(6, 8, 10)
    assert torch.equal(grid[0, :, :8], imgs[0]) and torch.equal(grid[1, :, 2:], imgs[1])
    torch.testing.assert_close(grid[2, :, :8], 0.4 * imgs[2])
    model = DisentangledAutoencoder(80, 8, 2, (32,))
    conv = model.convert(x[:3], x[3:])
    torch.testing.assert_close(conv, model.decode(model.content_encoder(x[:3]), model.style_encoder(x[3:])))
    model.grouped_loss(x, x, x).backward()
    assert model.style_encoder.layers[0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="style"):
        two_factor_digits(imgs, torch.full((6,), 4))


@pytest.mark.syllabus("generative.seq2seq2seq_ae")
def test_text_latent_is_shorter_token_sequence_and_learns():
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = Seq2Seq2SeqAutoencoder(vocab_size=6, summary_length=4, hidden=32, generator=g)
    x = torch.randint(6, (64, 8), generator=g)
    logits, y = model(x)
    # straight-through Gumbel: one-hot forward values up to float rounding
    assert y.shape == (64, 4, 6)
    torch.testing.assert_close(y.sum(-1), torch.ones(64, 4))
    torch.testing.assert_close(y, y.round(), rtol=0, atol=1e-6)
    loss0 = model.loss(x)
    loss0.backward()
    assert model.encoder.weight_ih_l0.grad.abs().sum() > 0                   # through the discrete summary
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        loss = model.loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.loss(x).item() < loss0.item() - 0.1
    with pytest.raises(ValueError, match="x"):
        model(torch.randint(6, (2, 3)))
