import math

import pytest
import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import AffineTransform, TanhTransform

from deepnotes.generative import (AdditiveCoupling, AffineCoupling, GaussianMixture, NormalizingFlow,
                                  transformed_log_prob)


def randomize(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5)
    return module


def jac_logdet(f, x):
    """log|det| of the Jacobian of f at each row of x, by autograd."""
    jac = torch.vmap(torch.func.jacrev(lambda r: f(r[None])[0][0]))(x)      # (B, D, D)
    return torch.linalg.slogdet(jac).logabsdet


@pytest.mark.syllabus("generative.additive_coupling")
def test_additive_stack_inverts_and_has_unit_jacobian():
    x = torch.randn(16, 4, dtype=torch.float64)
    for depth in (1, 2, 5):
        layers = [randomize(AdditiveCoupling(4, 16, parity=i % 2).double(), i) for i in range(depth)]

        def fwd(v):
            for layer in layers:
                v, _ = layer(v)
            return v, None
        z = fwd(x)[0]
        back = z
        for layer in reversed(layers):
            back, _ = layer.inverse(back)
        torch.testing.assert_close(back, x, atol=1e-6, rtol=0)
        torch.testing.assert_close(jac_logdet(fwd, x), torch.zeros(16, dtype=torch.float64), atol=1e-6, rtol=0)
        assert not torch.allclose(z, x)


@pytest.mark.syllabus("generative.affine_coupling")
def test_affine_logdet_equals_autograd_slogdet():
    layer = randomize(AffineCoupling(5, 16, parity=1).double(), 3)
    x = torch.randn(12, 5, dtype=torch.float64)
    z, logdet = layer(x)
    torch.testing.assert_close(logdet, jac_logdet(layer, x), atol=1e-5, rtol=0)
    xb, inv_logdet = layer.inverse(z)
    torch.testing.assert_close(xb, x, atol=1e-6, rtol=0)
    torch.testing.assert_close(inv_logdet, -logdet)
    with pytest.raises(ValueError, match="features"):
        AffineCoupling(1)


@pytest.mark.syllabus("generative.normalizing_flow")
@pytest.mark.parametrize("coupling", ["affine", "additive"])
def test_flow_log_prob_equals_brute_force(coupling):
    flow = randomize(NormalizingFlow(3, 4, 16, coupling).double(), 7)
    x = torch.randn(10, 3, dtype=torch.float64)
    z, _ = flow(x)
    brute = Normal(0.0, 1.0).log_prob(z).sum(1) + jac_logdet(flow, x)
    torch.testing.assert_close(flow.log_prob(x), brute, atol=1e-5, rtol=0)
    zs = torch.randn(10, 3, dtype=torch.float64)
    torch.testing.assert_close(flow(flow.inverse(zs)[0])[0], zs, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="coupling"):
        NormalizingFlow(3, coupling="spline")


@pytest.mark.syllabus("generative.change_of_variables")
def test_change_of_variables_matches_transformed_distribution_and_integrates():
    base = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    # 1-D: x = tanh(0.8 z + 0.3), support (-1, 1)
    ref = TransformedDistribution(base, [AffineTransform(0.3, 0.8), TanhTransform()])

    def inverse(x):
        u = torch.atanh(x)
        return (u - 0.3) / 0.8, -torch.log(0.8 * (1 - x ** 2))
    xs = torch.linspace(-0.999999, 0.999999, 200_001, dtype=torch.float64)
    ours = transformed_log_prob(xs, inverse, base)
    torch.testing.assert_close(ours, ref.log_prob(xs), atol=1e-8, rtol=1e-8)
    assert abs(torch.trapezoid(ours.exp(), xs).item() - 1) < 1e-3
    # 2-D affine x = A z + b
    a = torch.tensor([[1.5, 0.4], [-0.3, 0.7]], dtype=torch.float64)
    b = torch.tensor([0.2, -1.0], dtype=torch.float64)
    ainv = torch.linalg.inv(a)
    inv2 = lambda x: ((x - b) @ ainv.T, -torch.linalg.slogdet(a).logabsdet.expand(x.shape[0]))
    grid = torch.linspace(-8, 8, 401, dtype=torch.float64)
    gx, gy = torch.meshgrid(grid, grid, indexing="ij")
    pts = torch.stack([gx.flatten(), gy.flatten()], 1)
    lp = transformed_log_prob(pts, inv2, base)
    mvn = torch.distributions.MultivariateNormal(b, a @ a.T)
    torch.testing.assert_close(lp, mvn.log_prob(pts), atol=1e-10, rtol=1e-10)
    h = (grid[1] - grid[0]).item()
    assert abs(lp.exp().sum().item() * h * h - 1) < 1e-3


@pytest.mark.syllabus("generative.gaussian_mixture")
def test_em_monotone_and_matches_sklearn():
    from sklearn.mixture import GaussianMixture as SkGMM
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.5]], dtype=torch.float64)
    x = torch.cat([c + torch.randn(200, 2, generator=g, dtype=torch.float64) * s
                   for c, s in zip(centres, (0.5, 1.0, 0.7))])
    means0 = x[torch.tensor([0, 250, 450])]
    w0 = torch.full((3,), 1 / 3, dtype=torch.float64)
    cov0 = torch.eye(2, dtype=torch.float64).expand(3, 2, 2).clone()
    ours = GaussianMixture(3, max_iter=150, tol=1e-9).fit(x, means0, w0, cov0)
    lls = torch.tensor(ours.log_likelihoods_)
    assert (lls[1:] - lls[:-1] >= -1e-10).all()
    ref = SkGMM(3, covariance_type="full", max_iter=150, tol=1e-9, weights_init=w0.numpy(), means_init=means0.numpy(),
                precisions_init=torch.linalg.inv(cov0).numpy()).fit(x.numpy())
    assert abs(ours.score(x) - ref.score(x.numpy())) < 1e-3
    with pytest.raises(ValueError, match="means_init"):
        GaussianMixture(2).fit(x, means0)
