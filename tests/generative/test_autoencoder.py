import pytest
import torch
from scipy.linalg import subspace_angles

from deepnotes.data import load
from deepnotes.generative import (PCA, Autoencoder, DenoisingAutoencoder, LinearAutoencoder, corrupt,
                                  principal_angles, pretrain_layerwise)


def digits(split):
    return load("digits", split, flatten=True).tensors[0]


def fit(model, x, steps, lr=3e-3, loss_fn=None, batch=256, seed=0):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for i in range(steps):
        xb = x[torch.randint(len(x), (batch,))]
        loss = loss_fn(xb) if loss_fn else ((model(xb) - xb) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


@pytest.mark.syllabus("generative.autoencoder")
def test_ae_matches_pca16_and_cannot_compress_noise():
    xtr, xte = digits("train"), digits("test")
    ae = fit(Autoencoder(64, 16, (128,), generator=torch.Generator().manual_seed(0)), xtr, 2500)
    with torch.no_grad():
        code = ae.encode(xte)
        ae_mse = ((ae(xte) - xte) ** 2).mean().item()
    assert code.shape == (len(xte), 16)
    pca_mse = ((PCA(16).fit(xtr).reconstruct(xte) - xte) ** 2).mean().item()
    assert ae_mse <= 1.1 * pca_mse, (ae_mse, pca_mse)
    g = torch.Generator().manual_seed(1)
    noise_tr, noise_te = torch.rand(1000, 64, generator=g), torch.rand(500, 64, generator=g)
    # a 2-dim code of 64 i.i.d. uniforms: even the best projection keeps only 2/64 of the variance
    ae_n = fit(Autoencoder(64, 2, (128,), generator=g), noise_tr, 800)
    with torch.no_grad():
        mse = ((ae_n(noise_te) - noise_te) ** 2).mean().item()
    assert mse >= 0.95 * noise_te.var(0).mean().item()


@pytest.mark.syllabus("generative.linear_ae_pca")
def test_linear_ae_spans_pca_subspace():
    x = digits("train").double()
    x = x - x.mean(0)
    ae = LinearAutoencoder(64, 16, generator=torch.Generator().manual_seed(0)).double()
    opt = torch.optim.LBFGS(ae.parameters(), lr=1, max_iter=3000, tolerance_grad=1e-12, tolerance_change=1e-15,
                            history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((ae(x) - x) ** 2).sum(1).mean()
        loss.backward()
        return loss
    opt.step(closure)
    top = PCA(16).fit(x).components_.T                                  # (64, 16)
    angles = principal_angles(ae.subspace(), top)
    assert angles.max() < 1e-2, angles.max()
    ref = subspace_angles(ae.subspace().numpy(), top.numpy())
    torch.testing.assert_close(angles, torch.tensor(sorted(ref)), atol=1e-6, rtol=0)


@pytest.mark.syllabus("generative.denoising_autoencoder")
def test_dae_denoises_digits():
    xtr, xte = digits("train"), digits("test")
    dae = DenoisingAutoencoder(64, 32, (128,), sigma=0.3, generator=torch.Generator().manual_seed(0))
    fit(dae, xtr, 1500, loss_fn=dae.loss)
    dae.eval()
    noisy = corrupt(xte, 0.3, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        ratio = ((dae(noisy) - xte) ** 2).mean() / ((noisy - xte) ** 2).mean()
    assert ratio < 0.5, ratio
    mask = corrupt(torch.ones(1000, 10), kind="mask", p=0.25, generator=torch.Generator().manual_seed(0))
    assert set(mask.unique().tolist()) <= {0.0, 1.0} and abs(mask.mean().item() - 0.75) < 0.02
    with pytest.raises(ValueError, match="kind"):
        corrupt(xte, kind="salt")


@pytest.mark.syllabus("generative.layerwise_pretraining")
def test_layerwise_stages_see_frozen_codes_and_stack_composes():
    x = digits("train")[:300]
    record = []
    stack = pretrain_layerwise(x, [32, 16, 8], steps=30, record=record)
    assert len(record) == 3
    torch.testing.assert_close(record[0], x)
    with torch.no_grad():
        h = x
        for k in range(3):
            enc = stack[2 * k]
            # stage k+1 was trained on exactly the codes the frozen stage k produces
            h = torch.tanh(enc(h))
            if k < 2:
                torch.testing.assert_close(record[k + 1], h, atol=0, rtol=0)
        torch.testing.assert_close(stack(x), h, atol=0, rtol=0)
    assert all(p.requires_grad for p in stack.parameters())                # ready for fine-tuning
    with pytest.raises(ValueError, match="widths"):
        pretrain_layerwise(x, [])
