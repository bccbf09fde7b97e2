import pytest
import torch
import torch.nn.functional as F

from deepnotes.generative import (AuxClassifierDiscriminator, ConditionalDiscriminator, ConditionalGenerator, FiLM,
                                  acgan_aux_loss, broadcast_condition, cgan_discriminator_loss, concat_condition,
                                  infogan_q_loss, infogan_sample_codes, mismatched_labels)


@pytest.mark.syllabus("generative.condition_injection")
def test_concat_and_broadcast_condition():
    h = torch.randn(4, 5)
    c = torch.tensor([0, 2, 1, 2])
    out = concat_condition(h, c, 3)
    assert out.shape == (4, 8) and torch.equal(out[:, 5:], F.one_hot(c, 3).float())
    maps = torch.randn(4, 6, 5, 7)
    out = broadcast_condition(maps, c, 3)
    assert out.shape == (4, 9, 5, 7) and torch.equal(out[:, :6], maps)
    for b in range(4):
        assert torch.equal(out[b, 6:], F.one_hot(c[b], 3).float()[:, None, None].expand(3, 5, 7))
    with pytest.raises(ValueError, match="num_classes"):
        concat_condition(h, c)
    with pytest.raises(ValueError, match="h"):
        broadcast_condition(h, c, 3)


@pytest.mark.syllabus("generative.film")
def test_film_identity_and_manual_broadcast():
    film = FiLM(3, 6)
    h, cond = torch.randn(4, 6, 5, 5), torch.randn(4, 3)
    assert torch.equal(film(h, cond), h)
    torch.nn.init.normal_(film.proj.weight)
    torch.nn.init.normal_(film.proj.bias)
    gb = cond @ film.proj.weight.T + film.proj.bias
    gamma, beta = 1 + gb[:, :6], gb[:, 6:]
    manual = torch.einsum("bc,bchw->bchw", gamma, h) + beta[:, :, None, None]
    assert torch.allclose(film(h, cond), manual, atol=1e-6)
    flat = torch.randn(4, 6)
    assert torch.allclose(film(flat, cond), gamma * flat + beta, atol=1e-6)
    with pytest.raises(ValueError, match="h"):
        film(torch.randn(4, 5), cond)


@pytest.mark.syllabus("generative.conditional_gan")
def test_conditional_gan_noise_and_negatives():
    torch.manual_seed(0)
    for cond in ("concat", "film"):
        G = ConditionalGenerator(8, 10, 64, (32,), conditioning=cond)
        torch.nn.init.normal_(G.films[0].proj.weight) if cond == "film" else None
        c = torch.arange(10)
        z1, z2 = torch.randn(10, 8), torch.randn(10, 8)
        assert G(z1, c).shape == (10, 64) and not torch.allclose(G(z1, c), G(z2, c))
        assert not torch.allclose(G(z1, c), G(z1, (c + 1) % 10))          # the class matters
        G.use_noise = False
        assert torch.equal(G(z1, c), G(z2, c))                              # deterministic per class
    wrong = mismatched_labels(torch.arange(10).repeat(20), 10, torch.Generator().manual_seed(0))
    assert (wrong != torch.arange(10).repeat(20)).all() and wrong.min() >= 0 and wrong.max() <= 9
    D = ConditionalDiscriminator(64, 10, (32,))
    x = torch.rand(10, 64)
    r, f, m = D(x, c), D(G(z1, c), c), D(x, wrong[:10])
    bce = torch.nn.BCEWithLogitsLoss()
    ref = bce(r, torch.ones_like(r)) + 0.5 * (bce(f, torch.zeros_like(f)) + bce(m, torch.zeros_like(m)))
    assert torch.allclose(cgan_discriminator_loss(r, f, m), ref)
    with pytest.raises(ValueError, match="conditioning"):
        ConditionalGenerator(8, 10, 64, conditioning="add")


@pytest.mark.syllabus("generative.acgan")
def test_acgan_two_heads_and_aux_loss():
    D = AuxClassifierDiscriminator(64, 10, (32,))
    x_real, x_fake = torch.rand(6, 64), torch.rand(6, 64)
    (adv, cls), (_, cls_f) = D(x_real), D(x_fake)
    assert adv.shape == (6, 1) and cls.shape == (6, 10)
    y, y_f = torch.randint(10, (6,)), torch.randint(10, (6,))
    ref = (-torch.log_softmax(cls, 1)[torch.arange(6), y].mean()
           - torch.log_softmax(cls_f, 1)[torch.arange(6), y_f].mean())
    assert torch.allclose(acgan_aux_loss(cls, y, cls_f, y_f), ref, atol=1e-6)


@pytest.mark.syllabus("generative.infogan")
def test_infogan_codes_and_q_loss_decreases():
    g = torch.Generator().manual_seed(0)
    latent, cat, cont = infogan_sample_codes(64, 5, generator=g)
    assert latent.shape == (64, 17) and torch.equal(latent[:, 5:15].argmax(1), cat)
    assert (cont.abs() <= 1).all() and torch.equal(latent[:, 15:], cont)
    torch.manual_seed(0)
    G = ConditionalGenerator(17, 1, 16, (32,))
    D = AuxClassifierDiscriminator(16, 12, (32,))
    opt = torch.optim.Adam(list(G.parameters()) + list(D.parameters()), 3e-2)
    losses = []
    for _ in range(80):
        latent, cat, cont = infogan_sample_codes(32, 5, generator=g)
        q = D(G(latent, torch.zeros(32, dtype=torch.long)))[1]
        loss = infogan_q_loss(q, cat, cont)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5
    q = torch.randn(4, 12)
    ref = F.cross_entropy(q[:, :10], cat[:4]) + 0.5 * ((q[:, 10:] - cont[:4]) ** 2).sum(1).mean()
    assert torch.allclose(infogan_q_loss(q, cat[:4], cont[:4]), ref)
