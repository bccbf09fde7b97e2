"""MultiheadAttention against torch.nn.MultiheadAttention with copied weights."""
import pytest
import torch

import deepnotes.nn as dn

torch.set_num_threads(1)
D = torch.float64


def _pair(E=8, h=2, **kw):
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(E, h, dtype=D, **kw)
    ours = dn.MultiheadAttention(E, h, dtype=D, **{k: v for k, v in kw.items()})
    ours.load_state_dict(ref.state_dict())
    return ours, ref


@pytest.mark.syllabus("transformers_nlp.multi_head_attention")
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [False, True])
def test_equals_torch_self_attention_with_masks(batch_first, average):
    ours, ref = _pair(batch_first=batch_first)
    B, T = 3, 5
    x = torch.randn((B, T, 8) if batch_first else (T, B, 8), dtype=D)
    kpm = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])
    am = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    for kw in ({}, {"key_padding_mask": kpm}, {"attn_mask": am}, {"attn_mask": am, "key_padding_mask": kpm}):
        yo, wo = ours(x, x, x, average_attn_weights=average, **kw)
        yr, wr = ref(x, x, x, average_attn_weights=average, **kw)
        torch.testing.assert_close(yo, yr, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(wo, wr, rtol=1e-10, atol=1e-10)
    ours.fast = True
    torch.testing.assert_close(ours(x, x, x, need_weights=False, key_padding_mask=kpm)[0],
                               ref(x, x, x, key_padding_mask=kpm)[0])


@pytest.mark.syllabus("transformers_nlp.cross_attention")
def test_cross_attention_different_lengths_and_kdim():
    ours, ref = _pair(batch_first=True)
    dec, enc = torch.randn(2, 3, 8, dtype=D), torch.randn(2, 7, 8, dtype=D)
    y, w = ours(dec, enc, enc)
    assert y.shape == (2, 3, 8) and w.shape == (2, 3, 7)
    torch.testing.assert_close(y, ref(dec, enc, enc)[0])
    ours, ref = _pair(kdim=5, vdim=6, batch_first=True)
    k, v = torch.randn(2, 7, 5, dtype=D), torch.randn(2, 7, 6, dtype=D)
    torch.testing.assert_close(ours(dec, k, v)[0], ref(dec, k, v)[0])


@pytest.mark.syllabus("transformers_nlp.multi_head_attention")
def test_one_head_identity_projections_is_single_head_attention():
    m = dn.MultiheadAttention(4, 1, bias=False, batch_first=True, dtype=D)
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.eye(4).repeat(3, 1))
        m.out_proj.weight.copy_(torch.eye(4))
    x = torch.randn(2, 5, 4, dtype=D)
    torch.testing.assert_close(m(x, x, x)[0], dn.scaled_dot_product_attention(x, x, x))


def test_mha_bad_input():
    with pytest.raises(ValueError, match="num_heads"):
        dn.MultiheadAttention(10, 3)
    m = dn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(torch.randn(2, 3, 8), torch.randn(2, 3, 8), torch.randn(2, 3, 8), key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))
