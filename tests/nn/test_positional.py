"""Positional encodings against their formulas and the rotation property."""
import math

import pytest
import torch

import deepnotes.nn as dn

D = torch.float64


@pytest.mark.syllabus("transformers_nlp.sinusoidal_positional_encoding")
def test_sinusoidal_formula_range_and_rotation():
    T, d = 50, 16
    pe = dn.sinusoidal_encoding(T, d, dtype=D)
    for t in (0, 7, 49):
        for i in range(d // 2):
            w = 1 / 10000 ** (2 * i / d)
            assert pe[t, 2 * i].item() == pytest.approx(math.sin(t * w), abs=1e-12)
            assert pe[t, 2 * i + 1].item() == pytest.approx(math.cos(t * w), abs=1e-12)
    assert pe.abs().max() <= 1
    k = 5
    R = torch.zeros(d, d, dtype=D)                                   # block rotation by w_i k
    for i in range(d // 2):
        a = k / 10000 ** (2 * i / d)
        R[2 * i:2 * i + 2, 2 * i:2 * i + 2] = torch.tensor([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]], dtype=D)
    torch.testing.assert_close(pe[k:] , pe[:-k] @ R.T, rtol=0, atol=1e-9)
    enc = dn.SinusoidalPositionalEncoding(16, max_len=8)
    assert enc(torch.zeros(1, 20, 16)).shape == (1, 20, 16)        # any length


@pytest.mark.syllabus("transformers_nlp.learned_positional_embedding")
def test_learned_positions_error_and_sparse_gradient():
    emb = dn.LearnedPositionalEmbedding(6, 4)
    emb(torch.zeros(2, 3, 4)).sum().backward()
    assert torch.all(emb.weight.grad[:3] != 0) and torch.all(emb.weight.grad[3:] == 0)
    with pytest.raises(ValueError, match="max_len=6"):
        emb(torch.zeros(1, 7, 4))


@pytest.mark.syllabus("transformers_nlp.simple_position_features")
def test_simple_position_features():
    x = torch.randn(2, 9, 4)
    assert dn.PositionFeatures(4, "index", "concat")(x).shape == (2, 9, 5)
    assert dn.PositionFeatures(4, "onehot", "concat", max_len=12)(x).shape == (2, 9, 16)
    assert dn.PositionFeatures(4, "sinusoidal", "add")(x).shape == (2, 9, 4)
    f = dn.position_features(9)[:, 0]
    assert torch.equal(f, torch.arange(9.0))                        # grows linearly with t
    t = torch.arange(9.0).expand(2, 9).unsqueeze(-1)                # contents, not only sizes
    torch.testing.assert_close(dn.PositionFeatures(4, "index", "concat")(x), torch.cat([x, t], -1))
    onehot = torch.nn.functional.one_hot(torch.arange(9), 12).float().expand(2, 9, 12)
    torch.testing.assert_close(dn.PositionFeatures(4, "onehot", "concat", max_len=12)(x), torch.cat([x, onehot], -1))
    torch.testing.assert_close(dn.PositionFeatures(4, "sinusoidal", "add")(x), x + dn.sinusoidal_encoding(9, 4))
    enc = dn.SinusoidalPositionalEncoding(4, max_len=6)             # module = x + table, also past max_len
    for T in (5, 9):
        torch.testing.assert_close(enc(x[:, :T]), x[:, :T] + dn.sinusoidal_encoding(T, 4))
    learned = dn.LearnedPositionalEmbedding(12, 4)
    torch.testing.assert_close(learned(x), x + learned.weight[:9])
    with pytest.raises(ValueError, match="combine"):
        dn.PositionFeatures(4, "index", "add")(x)
