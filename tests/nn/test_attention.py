"""Attention functions and score layers against torch's SDPA, closed forms and gradcheck."""
import pytest
import torch
import torch.nn.functional as F

import deepnotes.nn as dn

torch.set_num_threads(1)
D = torch.float64


def _qkv(B=2, h=3, T=5, S=6, E=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, h, T, E, dtype=D, generator=g), torch.randn(B, h, S, E, dtype=D, generator=g),
            torch.randn(B, h, S, E + 1, dtype=D, generator=g))


@pytest.mark.syllabus("transformers_nlp.scaled_dot_product_attention")
@pytest.mark.parametrize("fast", [False, True])
def test_sdpa_equals_torch_with_masks(fast):
    q, k, v = _qkv()
    ref = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v, fast=fast), ref)
    bmask = torch.rand(5, 6, generator=torch.Generator().manual_seed(1)) > 0.3
    bmask[:, 0] = True
    torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v, bmask, fast=fast),
                               F.scaled_dot_product_attention(q, k, v, attn_mask=bmask))
    fmask = torch.randn(5, 6, dtype=D)
    torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v, fmask, scale=0.3, fast=fast),
                               F.scaled_dot_product_attention(q, k, v, attn_mask=fmask, scale=0.3))


@pytest.mark.syllabus("transformers_nlp.scaled_dot_product_attention")
def test_sdpa_loop_form_and_rows_sum_to_one():
    q, k, v = _qkv(B=1, h=1)
    y, A = dn.scaled_dot_product_attention(q, k, v, need_weights=True)
    torch.testing.assert_close(A.sum(-1), torch.ones(1, 1, 5, dtype=D))
    for i in range(5):                                               # one query at a time
        s = torch.stack([q[0, 0, i] @ k[0, 0, j] / 2.0 for j in range(6)])   # sqrt(4) = 2
        a = torch.exp(s) / torch.exp(s).sum()
        torch.testing.assert_close(y[0, 0, i], (a[:, None] * v[0, 0]).sum(0))


@pytest.mark.syllabus("transformers_nlp.basic_self_attention")
def test_basic_self_attention_identity_projections_no_scale():
    x = torch.randn(2, 5, 4, dtype=D)
    y, W = dn.basic_self_attention(x)
    torch.testing.assert_close(W.sum(-1), torch.ones(2, 5, dtype=D))
    torch.testing.assert_close(y, F.scaled_dot_product_attention(x, x, x, scale=1.0))


@pytest.mark.syllabus("transformers_nlp.permutation_equivariance")
def test_permutation_equivariance_and_jack_jill():
    x = torch.randn(7, 4, dtype=D)
    for seed in range(3):
        P = torch.randperm(7, generator=torch.Generator().manual_seed(seed))
        torch.testing.assert_close(dn.scaled_dot_product_attention(x[P], x[P], x[P]),
                                   dn.scaled_dot_product_attention(x, x, x)[P], rtol=1e-6, atol=1e-6)
    vocab = {w: i for i, w in enumerate("jack gave water to jill".split())}
    emb = torch.randn(5, 8, dtype=D, generator=torch.Generator().manual_seed(0))
    a = emb[[vocab[w] for w in "jack gave water to jill".split()]]
    b = emb[[vocab[w] for w in "jill gave water to jack".split()]]
    ya, yb = dn.basic_self_attention(a)[0], dn.basic_self_attention(b)[0]
    key = lambda y: sorted(map(tuple, y.round(decimals=9).tolist()))  # noqa: E731
    assert key(ya) == key(yb)                                        # same multiset without PE
    pe = dn.sinusoidal_encoding(5, 8, dtype=D)
    assert key(dn.basic_self_attention(a + pe)[0]) != key(dn.basic_self_attention(b + pe)[0])


@pytest.mark.syllabus("transformers_nlp.attention_masks")
def test_masked_keys_get_zero_weight_and_no_nan():
    q, k, v = _qkv(B=1, h=1)
    mask = torch.ones(5, 6, dtype=torch.bool)
    mask[:, 2] = False
    mask[3] = False                                                  # fully masked row
    y, A = dn.scaled_dot_product_attention(q, k, v, mask, need_weights=True)
    assert torch.all(A[..., 2] == 0) and torch.isfinite(y).all()
    assert torch.all(y[0, 0, 3] == 0) and torch.all(A[0, 0, 3] == 0)
    v2 = v.clone()
    v2[..., 2, :] = 1e6                                              # values at masked keys don't leak
    torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v2, mask), y)
    torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v2, mask, fast=True), y)
    pm = dn.padding_mask(torch.tensor([2, 4]), 5)
    assert pm.tolist() == [[True, True, False, False, False], [True, True, True, True, False]]


@pytest.mark.syllabus("transformers_nlp.causal_mask")
def test_causal_mask_no_leakage_and_equals_torch():
    q, k, v = _qkv(S=5)
    for fast in (False, True):
        torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v, is_causal=True, fast=fast),
                                   F.scaled_dot_product_attention(q, k, v, is_causal=True))
    x = torch.randn(1, 8, 4, dtype=D)
    x2 = x.clone()
    x2[:, 5:] = torch.randn(1, 3, 4, dtype=D)
    y, y2 = (dn.scaled_dot_product_attention(z, z, z, is_causal=True) for z in (x, x2))
    assert torch.equal(y[:, :5], y2[:, :5])
    assert dn.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]


@pytest.mark.syllabus("transformers_nlp.local_attention")
def test_local_band_and_full_when_wide():
    q, k, v = _qkv(S=5)
    _, A = dn.scaled_dot_product_attention(q, k, v, dn.local_mask(5, 1), need_weights=True)
    i, j = torch.meshgrid(torch.arange(5), torch.arange(5), indexing="ij")
    assert torch.all(A[..., (i - j).abs() > 1] == 0)
    torch.testing.assert_close(dn.scaled_dot_product_attention(q, k, v, dn.local_mask(5, 5)),
                               F.scaled_dot_product_attention(q, k, v))
    x = torch.randn(2, 3, 9, 4, dtype=D)
    for w in (0, 1, 3, 9):                                           # O(T w) path equals the banded mask
        torch.testing.assert_close(dn.sliding_window_attention(x, x, x, w),
                                   F.scaled_dot_product_attention(x, x, x, attn_mask=dn.local_mask(9, w)))


@pytest.mark.syllabus("transformers_nlp.image_self_attention")
def test_image_self_attention_shape_and_locality():
    torch.manual_seed(0)
    m = dn.ImageSelfAttention(3, radius=1).double()
    x = torch.randn(1, 3, 6, 5, dtype=D, requires_grad=True)
    y = m(x)
    assert y.shape == x.shape
    y[0, :, 2, 2].sum().backward()
    g = x.grad[0].abs().sum(0)                                       # (H, W)
    outside = torch.ones(6, 5, dtype=torch.bool)
    outside[1:4, 1:4] = False
    assert torch.all(g[outside] == 0) and torch.all(g[~outside] > 0)


@pytest.mark.syllabus("sequences.additive_attention")
def test_additive_attention_formula():
    torch.manual_seed(0)
    att = dn.AdditiveAttention(3, 4, 5).double()
    s, h = torch.randn(2, 3, dtype=D), torch.randn(2, 6, 4, dtype=D)
    ctx, a = att(s, h)
    W1, W2, b, v = att.key_proj.weight, att.query_proj.weight, att.query_proj.bias, att.v.weight[0]
    for bi in range(2):
        e = torch.stack([v @ torch.tanh(W1 @ h[bi, t] + W2 @ s[bi] + b) for t in range(6)])
        torch.testing.assert_close(a[bi], torch.softmax(e, 0), rtol=1e-7, atol=1e-7)
        torch.testing.assert_close(ctx[bi], (a[bi, :, None] * h[bi]).sum(0))
    torch.testing.assert_close(a.sum(-1), torch.ones(2, dtype=D))
    mask = torch.tensor([[True] * 4 + [False] * 2] * 2)
    assert torch.all(att(s, h, mask)[1][:, 4:] == 0)


@pytest.mark.syllabus("sequences.multiplicative_attention")
def test_bilinear_identity_is_dot_and_gradcheck():
    att = dn.BilinearAttention(4, 4).double()
    with torch.no_grad():
        att.weight.copy_(torch.eye(4))
    s, h = torch.randn(2, 4, dtype=D), torch.randn(2, 5, 4, dtype=D)
    for x, y in zip(att(s, h), dn.DotProductAttention()(s, h)):
        torch.testing.assert_close(x, y)
    ref = torch.softmax(torch.einsum("btd,bd->bt", h, s), -1)
    torch.testing.assert_close(att(s, h)[1], ref)
    att2 = dn.BilinearAttention(3, 4, value_map=True).double()
    assert torch.autograd.gradcheck(lambda q, k: att2(q, k)[0],
                                    (torch.randn(2, 3, dtype=D, requires_grad=True),
                                     torch.randn(2, 5, 4, dtype=D, requires_grad=True)))


@pytest.mark.syllabus("sequences.location_aware_attention")
def test_location_aware_reduces_to_additive_and_shifts():
    torch.manual_seed(0)
    loc = dn.LocationAwareAttention(3, 4, 5, channels=2, kernel_size=3).double()
    add = dn.AdditiveAttention(3, 4, 5).double()
    add.load_state_dict({"key_proj.weight": loc.key_proj.weight, "query_proj.weight": loc.query_proj.weight,
                         "query_proj.bias": loc.query_proj.bias, "v.weight": loc.v.weight})
    with torch.no_grad():
        loc.location_proj.weight.zero_()                              # U = 0
    s, h = torch.randn(2, 3, dtype=D), torch.randn(2, 8, 4, dtype=D)
    prev = torch.softmax(torch.randn(2, 8, dtype=D), -1)
    for x, y in zip(loc(s, h, prev), add(s, h)):
        torch.testing.assert_close(x, y)
    onehot = torch.zeros(1, 8, dtype=D)
    onehot[0, 3] = 1
    f = loc.location_features(onehot)
    f2 = loc.location_features(onehot.roll(2, 1))
    torch.testing.assert_close(f2[0, 2:7], f[0, 0:5])


@pytest.mark.syllabus("sequences.location_aware_attention")
def test_location_aware_score_by_hand():
    """Non-zero U against e_t = v^T tanh(W s + V h_t + U f_t + b), f = conv(alpha_prev) written out
    as a correlation with zero padding (torch.nn.Conv1d's convention)."""
    torch.manual_seed(1)
    loc = dn.LocationAwareAttention(3, 4, 5, channels=2, kernel_size=3).double()
    s, h = torch.randn(2, 3, dtype=D), torch.randn(2, 6, 4, dtype=D)
    prev = torch.softmax(torch.randn(2, 6, dtype=D), -1)
    Fk = loc.location_conv.weight[:, 0]                               # (channels, k)
    W, b, V = loc.query_proj.weight, loc.query_proj.bias, loc.key_proj.weight
    U, v = loc.location_proj.weight, loc.v.weight[0]
    ctx, a = loc(s, h, prev)
    for bi in range(2):
        padded = torch.cat([torch.zeros(1, dtype=D), prev[bi], torch.zeros(1, dtype=D)])
        f = torch.stack([Fk @ padded[t:t + 3] for t in range(6)])     # (T, channels)
        e = torch.stack([v @ torch.tanh(W @ s[bi] + b + V @ h[bi, t] + U @ f[t]) for t in range(6)])
        torch.testing.assert_close(a[bi], torch.softmax(e, 0), rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(ctx[bi], a[bi] @ h[bi])


@pytest.mark.syllabus("transformers_nlp.scaled_dot_product_attention")
def test_sdpa_dropout_rescales_the_kept_weights():
    """Attention dropout zeroes weights and scales the survivors by 1/(1-p) (inverted dropout)."""
    q, k, v = _qkv(B=1, h=1)
    _, A = dn.scaled_dot_product_attention(q, k, v, need_weights=True)
    y, Ad = dn.scaled_dot_product_attention(q, k, v, dropout_p=0.4, need_weights=True,
                                            generator=torch.Generator().manual_seed(0))
    kept = Ad != 0
    assert 0 < kept.sum() < kept.numel()
    torch.testing.assert_close(Ad[kept], A[kept] / 0.6)
    torch.testing.assert_close(y, Ad @ v)


def test_attention_bad_input():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="key"):
        dn.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="value"):
        dn.scaled_dot_product_attention(q, k, v[..., :4, :])
    with pytest.raises(ValueError, match="attn_mask"):
        dn.scaled_dot_product_attention(q, k, v, torch.ones(4, 4, dtype=torch.bool))
