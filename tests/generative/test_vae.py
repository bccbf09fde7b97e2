import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from deepnotes.data import load
from deepnotes.generative import CVAE, VAE, beta_vae_loss


@pytest.mark.syllabus("generative.vae")
def test_vae_elbo_increases_and_kl_nonnegative():
    x = load("digits", "train", flatten=True).tensors[0]
    torch.manual_seed(0)
    vae = VAE(64, 4, (64,))
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)

    def mean_elbo():
        with torch.no_grad():
            return -vae.loss(x, generator=torch.Generator().manual_seed(9))["loss"].item()
    start = mean_elbo()
    for _ in range(300):
        out = vae.loss(x[torch.randint(len(x), (128,), generator=gen)], generator=gen)
        assert (out["kl"] >= 0).all()
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    assert mean_elbo() > start + 10
    assert vae.sample(5, generator=gen).shape == (5, 64)
    with pytest.raises(ValueError, match="x"):
        vae.encode(torch.zeros(3, 10))


@pytest.mark.syllabus("generative.beta_vae")
@pytest.mark.syllabus("generative.vae")
def test_beta1_loss_is_negative_elbo_from_torch_distributions():
    torch.manual_seed(1)
    vae = VAE(6, 2, (8,), likelihood="gaussian").double()
    x = torch.randn(5, 6, dtype=torch.float64)
    out = vae.loss(x, generator=torch.Generator().manual_seed(3))
    mu, logvar = vae.encode(x)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    neg_elbo = (-Normal(vae.decode(z), 1.0).log_prob(x).sum(1)
                + kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1))
    torch.testing.assert_close(out["loss"], neg_elbo.mean())
    torch.testing.assert_close(beta_vae_loss(out["nll"], out["kl"], 4.0), (out["nll"] + 4 * out["kl"]).mean())
    with pytest.raises(ValueError, match="beta"):
        beta_vae_loss(out["nll"], out["kl"], -1.0)
    vb = VAE(6, 2, (8,), likelihood="bernoulli")
    xb = (torch.rand(5, 6) > 0.5).float()
    ob = vb.loss(xb, generator=torch.Generator().manual_seed(3))
    mu, logvar = vb.encode(xb)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    ref = F.binary_cross_entropy_with_logits(vb.decode(z), xb, reduction="none").sum(1)
    torch.testing.assert_close(ob["nll"], ref)


@pytest.mark.syllabus("generative.cvae")
def test_cvae_condition_reaches_encoder_and_decoder():
    torch.manual_seed(0)
    cvae = CVAE(64, 3, num_classes=10, hidden_features=(32,))
    x, y = torch.rand(4, 64), torch.tensor([0, 3, 5, 9])
    z = torch.zeros(4, 3)
    a = cvae.decode(z, cvae.one_hot(y))
    b = cvae.decode(z, cvae.one_hot((y + 1) % 10))
    assert not torch.allclose(a, b)                                           # decoder depends on c
    mu1, _ = cvae.encode(x, cvae.one_hot(y))
    mu2, _ = cvae.encode(x, cvae.one_hot((y + 1) % 10))
    assert not torch.allclose(mu1, mu2)                                       # encoder q(z|x, c)
    out = cvae.loss(x, y)
    out["loss"].backward()
    assert cvae.sample(y).shape == (4, 64)
    with pytest.raises(ValueError, match="y"):
        cvae.one_hot(torch.tensor([10]))
