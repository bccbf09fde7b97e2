"""Run a deepnotes optimizer and a torch.optim one side by side on the same problem."""
from __future__ import annotations

import torch


def make_params(seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 3), (3,), (2, 2, 2), (1,)]
    return [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_() for s in shapes]


def loss_fn(params: list[torch.Tensor], t: int) -> torch.Tensor:
    """A non-quadratic loss whose gradient scale changes with t, touching every parameter."""
    w, b, c, d = params
    x = torch.linspace(-1, 1, 15, dtype=torch.float64).reshape(5, 3) * (1 + 0.1 * (t % 7))
    h = torch.tanh(x * w).sum(0) + b                                   # (3,)
    return (h ** 2).sum() + (c ** 4).sum() + 0.5 * ((d - 2) ** 2).sum() + 0.5 * c.sin().sum() * w.tanh().sum()


def max_trajectory_gap(ours_cls, theirs_cls, steps: int = 100, **kw) -> float:
    """Max |theta_ours - theta_torch| over ``steps`` steps from the same start."""
    a, b = make_params(), make_params()
    opt_a, opt_b = ours_cls(a, **kw), theirs_cls(b, **kw)
    sign = -1.0 if kw.get("maximize") else 1.0      # ascend on -loss, so the run stays bounded
    gap = 0.0
    for t in range(steps):
        for params, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            (sign * loss_fn(params, t)).backward()
            opt.step()
        gap = max(gap, max((p - q).abs().max().item() for p, q in zip(a, b)))
    assert all(torch.isfinite(p).all() for p in a), "the trajectory diverged"
    moved = max((p - q).abs().max().item() for p, q in zip(a, make_params()))
    assert moved > 1e-3, "the optimizer did not move the parameters: the comparison would be empty"
    return gap
