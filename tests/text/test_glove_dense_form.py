"""GloVe's loss is computed in a dense (V, V) form; it must equal the sum over non-zero entries."""
import pytest
import torch

import deepnotes.text as tx


@pytest.mark.syllabus("transformers_nlp.glove")
def test_glove_dense_loss_equals_sum_over_nonzero_pairs_and_its_gradient():
    g = torch.Generator().manual_seed(0)
    V, d = 40, 5
    X = torch.zeros(V, V, dtype=torch.float64)
    i, j = torch.randint(0, V, (300,), generator=g), torch.randint(0, V, (300,), generator=g)
    X.index_put_((i, j), torch.rand(300, generator=g, dtype=torch.float64) * 300, accumulate=True)
    assert 0 < int((X > 0).sum()) < V * V                      # some zeros must be skipped
    u, v = (torch.randn(V, d, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(2))
    b, c = (torch.randn(V, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(2))
    r, s = X.nonzero(as_tuple=True)                            # reference: gather the observed pairs
    x = X[r, s]
    f = torch.clamp(x / 100, max=1) ** 0.75
    ref = (f * ((u[r] * v[s]).sum(-1) + b[r] + c[s] - torch.log(x)) ** 2).sum()
    got = tx.glove_loss(u, v, b, c, X)
    torch.testing.assert_close(got, ref)
    grads = torch.autograd.grad(got, (u, v, b, c))
    ref_grads = torch.autograd.grad(ref, (u, v, b, c))
    for a, e in zip(grads, ref_grads):
        torch.testing.assert_close(a, e)
    assert torch.isfinite(torch.stack([gr.abs().sum() for gr in grads])).all()
