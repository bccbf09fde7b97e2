"""Transformer layers against torch.nn.Transformer* with copied weights; FFN locality; counts."""
import pytest
import torch

import deepnotes.nn as dn

torch.set_num_threads(1)
D = torch.float64


def _randomize_norms(m):
    """Fresh LayerNorms are all (1, 0): give each its own affine so swapping two norms is visible."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if "norm" in name:
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.5)
    return m


@pytest.mark.syllabus("transformers_nlp.transformer_encoder_block")
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_equals_torch(norm_first, batch_first):
    torch.manual_seed(0)
    kw = dict(dim_feedforward=16, dropout=0.0, activation="relu", batch_first=batch_first,
              norm_first=norm_first, dtype=D)
    ref = _randomize_norms(torch.nn.TransformerEncoderLayer(8, 2, **kw))
    ours = dn.TransformerEncoderLayer(8, 2, **kw)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn((3, 5, 8) if batch_first else (5, 3, 8), dtype=D)
    kpm = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [False] * 5])
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours(x, src_key_padding_mask=kpm), ref(x, src_key_padding_mask=kpm),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.syllabus("transformers_nlp.transformer_decoder_block", "transformers_nlp.cross_attention")
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_equals_torch_with_causal_mask(norm_first):
    torch.manual_seed(0)
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=D)
    ref = _randomize_norms(torch.nn.TransformerDecoderLayer(8, 2, **kw))
    ours = dn.TransformerDecoderLayer(8, 2, **kw)
    ours.load_state_dict(ref.state_dict())
    tgt, mem = torch.randn(2, 4, 8, dtype=D), torch.randn(2, 6, 8, dtype=D)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=D)
    torch.testing.assert_close(ours(tgt, mem, tgt_mask=mask), ref(tgt, mem, tgt_mask=mask), rtol=1e-5, atol=1e-5)
    mkpm = torch.tensor([[False] * 6, [False] * 2 + [True] * 4])      # padded encoder positions
    torch.testing.assert_close(ours(tgt, mem, tgt_mask=mask, memory_key_padding_mask=mkpm),
                               ref(tgt, mem, tgt_mask=mask, memory_key_padding_mask=mkpm), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(dn.Transformer.generate_square_subsequent_mask(4, dtype=D), mask)


@pytest.mark.syllabus("transformers_nlp.transformer")
def test_transformer_parameter_count_and_names_match_torch_defaults():
    ours = dn.Transformer(device="meta")
    ref = torch.nn.Transformer(device="meta")
    assert sum(p.numel() for p in ours.parameters()) == 44_140_544
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}


@pytest.mark.syllabus("transformers_nlp.transformer")
def test_small_transformer_equals_torch():
    torch.manual_seed(0)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
              dropout=0.0, batch_first=True, dtype=D)
    ref = _randomize_norms(torch.nn.Transformer(**kw))
    ours = dn.Transformer(**kw)
    ours.load_state_dict(ref.state_dict())
    src, tgt = torch.randn(2, 5, 8, dtype=D), torch.randn(2, 3, 8, dtype=D)
    mask = ref.generate_square_subsequent_mask(3, dtype=D)
    torch.testing.assert_close(ours(src, tgt, tgt_mask=mask), ref(src, tgt, tgt_mask=mask), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="tgt"):
        ours(src, tgt[:1])


@pytest.mark.syllabus("transformers_nlp.position_wise_ffn")
def test_ffn_position_wise_and_equals_encoder_ffn():
    torch.manual_seed(0)
    ffn = dn.PositionwiseFeedForward(4, 16).double()
    x = torch.randn(5, 4, dtype=D)
    J = torch.autograd.functional.jacobian(ffn, x)                    # (5, 4, 5, 4)
    for t in range(5):
        for s in range(5):
            assert (J[t, :, s].abs().sum() == 0) == (s != t)
    layer = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=16, dropout=0.0, dtype=D)
    ffn.load_state_dict({k: v for k, v in layer.state_dict().items() if k.startswith("linear")})
    torch.testing.assert_close(ffn(x), layer.linear2(layer.activation(layer.linear1(x))))


@pytest.mark.syllabus("transformers_nlp.conformer")
def test_conformer_preserves_shape_and_length():
    torch.manual_seed(0)
    block = dn.ConformerBlock(8, nhead=2, conv_kernel_size=7, dropout=0.0).eval()
    for T in (1, 5, 12):
        x = torch.randn(2, T, 8)
        assert block(x).shape == x.shape
    assert block.conv.depthwise.padding == (3,) and block.conv.depthwise.groups == 8
    x = torch.randn(1, 10, 8, requires_grad=True)                   # not causal: sees the future
    probe = torch.randn(8, generator=torch.Generator().manual_seed(0))
    (block(x)[0, 2] * probe).sum().backward()                        # (.sum() of a LayerNorm output is constant)
    assert x.grad[0, 3:].abs().sum(-1).min() > 1e-3
    with pytest.raises(ValueError, match="conv_kernel_size"):
        dn.ConformerBlock(8, conv_kernel_size=4)


class _Map(torch.nn.Module):
    """Stand-in sub-layer: applies a known function to its first argument."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x, *args):
        return self.f(x)


@pytest.mark.syllabus("transformers_nlp.conformer")
def test_conformer_macaron_order_and_half_steps():
    """With the sub-layers replaced by known maps the block must compute
    x1 = x + 1/2 FFN1(x), x2 = x1 + MHSA(x1), x3 = x2 + Conv(x2), x4 = x3 + 1/2 FFN2(x3), y = LN(x4)."""
    block = dn.ConformerBlock(4, nhead=2, conv_kernel_size=3, dropout=0.0).eval()
    block.ff1, block.attn_norm, block.attn = _Map(lambda x: 2 * x + 1), torch.nn.Identity(), _Map(torch.square)
    block.conv, block.ff2, block.final_norm = _Map(lambda x: 3 * x), _Map(torch.sin), torch.nn.Identity()
    x = torch.randn(2, 5, 4, dtype=D)
    x1 = x + 0.5 * (2 * x + 1)
    x2 = x1 + x1.square()
    x3 = x2 + 3 * x2
    torch.testing.assert_close(block(x), x3 + 0.5 * torch.sin(x3))


@pytest.mark.syllabus("transformers_nlp.conformer")
def test_conformer_relative_bias_is_indexed_by_key_minus_query():
    """Zero q/k projections leave only the learned bias b_h(clip(j - i)) in the scores: a large bias
    at offset j - i = +1 makes query i copy the value at i + 1 (the last query, with no i + 1, falls
    back to the clipped offsets' uniform average)."""
    att = dn.RelativeMultiheadSelfAttention(4, 1, max_relative=2).double()
    with torch.no_grad():
        att.qkv.weight[:8].zero_(); att.qkv.bias.zero_()
        att.qkv.weight[8:].copy_(torch.eye(4)); att.out_proj.weight.copy_(torch.eye(4)); att.out_proj.bias.zero_()
        att.rel_bias.zero_(); att.rel_bias[0, 2 + 1] = 50.0             # offset +1 (index = offset + R)
    x = torch.randn(1, 6, 4, dtype=D)
    torch.testing.assert_close(att(x)[0, :-1], x[0, 1:], rtol=0, atol=1e-12)
