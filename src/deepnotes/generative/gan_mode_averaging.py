"""Why deterministic MSE regression blurs multimodal targets.

Syllabus: generative.mse_mode_averaging. Notes: 000 L6.02; 001 S16.17-18; 002 §7.1f.

    argmin_f E||y - f(x)||^2 = E[y | x]
For y = +-1 with probability 1/2 each (whatever x), the MSE-optimal predictor is 0: a value that
never occurs (the 'blurry average' / 'drive straight into the tree'). A generative model of
p(y|x) (mixture density, conditional GAN) keeps both modes instead.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core import expect, syllabus

__all__ = ["bimodal_regression_data", "fit_mse_regressor"]


@syllabus("generative.mse_mode_averaging")
def bimodal_regression_data(n: int, noise: float = 0.05, generator: torch.Generator | None = None
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """x ~ U(-1, 1) (n, 1); y = s + noise * eps with s = +-1 equally likely, independent of x (n, 1)."""
    expect(n >= 1, "n", "an int >= 1", n)
    x = torch.rand(n, 1, generator=generator) * 2 - 1
    s = torch.randint(0, 2, (n, 1), generator=generator).float() * 2 - 1
    return x, s + noise * torch.randn(n, 1, generator=generator)


@syllabus("generative.mse_mode_averaging")
def fit_mse_regressor(x: torch.Tensor, y: torch.Tensor, hidden: int = 32, steps: int = 500, lr: float = 1e-2
                      ) -> nn.Module:
    """A 1-hidden-layer MLP trained full-batch with Adam on the mean squared error."""
    net = nn.Sequential(nn.Linear(x.shape[1], hidden), nn.Tanh(), nn.Linear(hidden, y.shape[1]))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        loss = ((net(x) - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net
