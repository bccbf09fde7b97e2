"""Encoder-decoders: teacher forcing, scheduled sampling, copy distribution, Transformer and NAT."""
import math

import pytest
import torch
import torch.nn.functional as F

import deepnotes.seq2seq as s2s

torch.set_num_threads(1)
PAD, BOS, EOS = 0, 1, 2


def _batch(seed=0, B=4, S=6, T=5, V=9):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, V, (B, S), generator=g)
    src[1, 4:] = PAD
    tgt = torch.randint(3, V, (B, T), generator=g)
    tgt[:, -1] = EOS
    return src, tgt


@pytest.mark.syllabus("sequences.teacher_forcing", "sequences.seq2seq_rnn", "sequences.sequence_loss")
def test_teacher_forcing_inputs_and_parallel_pass_equals_steps():
    torch.manual_seed(0)
    src, tgt = _batch()
    tgt_in = s2s.teacher_forcing_inputs(tgt, BOS)
    assert torch.equal(tgt_in[:, 0], torch.full((4,), BOS)) and torch.equal(tgt_in[:, 1:], tgt[:, :-1])
    m = s2s.RNNEncoderDecoder(9, 9, 8, 16)
    logits, _ = m(src, tgt_in)                                       # one parallel pass
    enc, state, mask = m.encode(src)
    total = 0.0
    for t in range(tgt.shape[1]):                                     # step by step
        lg, state, _ = m.decode_step(tgt_in[:, t], state, enc, mask)
        total = total + F.cross_entropy(lg, tgt[:, t], reduction="sum")
    loss = s2s.sequence_cross_entropy(logits, tgt, ignore_index=PAD, reduction="sum")
    torch.testing.assert_close(loss, total, rtol=1e-5, atol=1e-5)


@pytest.mark.syllabus("sequences.seq2seq_rnn")
def test_encoder_final_state_is_at_each_true_length():
    """The state handed to the decoder is the encoder's state at the last REAL source token:
    a padded row encodes exactly like the same row without its padding."""
    torch.manual_seed(0)
    src, _ = _batch()                                                # row 1 padded after 4 tokens
    m = s2s.RNNEncoderDecoder(9, 9, 8, 16, attention="additive")
    enc, h, mask = m.encode(src)
    enc1, h1, _ = m.encode(src[1:2, :4])
    torch.testing.assert_close(h[:, 1], h1[:, 0])
    torch.testing.assert_close(enc[1, :4], enc1[0])
    assert torch.all(enc[1, 4:] == 0) and mask[1].tolist() == [True] * 4 + [False] * 2


@pytest.mark.syllabus("sequences.sequence_loss")
def test_sequence_loss_equals_flattened_cross_entropy_with_ignore_index():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=g)
    tgt = torch.randint(1, 7, (3, 5), generator=g)
    tgt[0, 3:] = PAD
    ref = F.cross_entropy(logits.reshape(-1, 7), tgt.reshape(-1), ignore_index=PAD)
    torch.testing.assert_close(s2s.sequence_cross_entropy(logits, tgt), ref)
    ref_sum = F.cross_entropy(logits.reshape(-1, 7), tgt.reshape(-1), ignore_index=PAD, reduction="sum")
    torch.testing.assert_close(s2s.sequence_cross_entropy(logits, tgt, reduction="sum"), ref_sum)
    with pytest.raises(ValueError, match="target"):
        s2s.sequence_cross_entropy(logits, tgt[:, :4])


@pytest.mark.syllabus("sequences.scheduled_sampling")
@pytest.mark.parametrize("attention", [None, "additive"])
def test_scheduled_sampling_extremes_and_fraction(attention):
    torch.manual_seed(0)
    src, tgt = _batch(B=64, T=6)
    tgt_in = s2s.teacher_forcing_inputs(tgt, BOS)
    m = s2s.RNNEncoderDecoder(9, 9, 8, 16, attention=attention)
    tf, _ = m(src, tgt_in, teacher_forcing=1.0)
    g = torch.Generator().manual_seed(0)
    forced_loop, _ = m(src, tgt_in, teacher_forcing=1.0 - 1e-12, generator=g)
    torch.testing.assert_close(forced_loop, tf, rtol=1e-5, atol=1e-5)
    free, _ = m(src, tgt_in, teacher_forcing=0.0)
    gen, _ = m.generate(src, 6)                                      # p = 0 is free running
    L = gen.shape[1]
    done = torch.zeros(64, dtype=torch.bool)
    for t in range(L):                                               # until each row's EOS
        assert torch.equal(free[~done, t].argmax(-1), gen[~done, t])
        done = done | (gen[:, t] == EOS)
    m(src, tgt_in, teacher_forcing=0.3, generator=g)
    assert abs(m.truth_fraction - 0.3) < 0.05
    assert s2s.teacher_forcing_probability(0, "linear") == 1.0
    assert s2s.teacher_forcing_probability(10, "exponential", k=0.9) == pytest.approx(0.9 ** 10)
    assert s2s.teacher_forcing_probability(50, "inverse_sigmoid", k=10) == pytest.approx(10 / (10 + math.exp(5)))


@pytest.mark.syllabus("sequences.seq2seq_rnn", "sequences.attention_seq2seq")
def test_generation_stops_at_eos_and_attention_maps_are_distributions():
    torch.manual_seed(0)
    src, _ = _batch()
    m = s2s.RNNEncoderDecoder(9, 9, 8, 16, attention="dot")
    with torch.no_grad():
        m.readout.bias.fill_(-10)
        m.readout.bias[EOS] = 10                                     # the model decides to stop
    toks, maps = m.generate(src, 10)
    assert toks.shape[1] == 1 and torch.all(toks == EOS)
    assert maps.shape == (4, 1, 6)
    torch.testing.assert_close(maps.sum(-1), torch.ones(4, 1))
    assert torch.all(maps[1, :, 4:] == 0)                            # padded source positions


@pytest.mark.syllabus("sequences.copy_mechanism")
def test_copy_distribution_sums_to_one_and_copies_oov():
    torch.manual_seed(0)
    B, V, S = 3, 10, 5
    p_vocab = torch.softmax(torch.randn(B, V), -1)
    alpha = torch.softmax(torch.randn(B, S), -1)
    src_ext = torch.tensor([[4, 10, 5, 10, 11], [1, 2, 3, 4, 5], [12, 12, 12, 12, 12]])
    p_gen = torch.sigmoid(torch.randn(B, 1))
    p = s2s.copy_distribution(p_vocab, alpha, src_ext, p_gen, 13)
    torch.testing.assert_close(p.sum(-1), torch.ones(B))
    torch.testing.assert_close(p[0, 10], (1 - p_gen[0, 0]) * (alpha[0, 1] + alpha[0, 3]))
    torch.testing.assert_close(p[2, 12], 1 - p_gen[2, 0])
    m = s2s.PointerGenerator(V, 8, 16)
    logp = m(src_ext, torch.tensor([[1, 4], [1, 5], [1, 12]]), 13)
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(3, 2), rtol=1e-5, atol=1e-5)


@pytest.mark.syllabus("transformers_nlp.transformer")
def test_transformer_seq2seq_causal_decoder():
    torch.manual_seed(0)
    m = s2s.TransformerSeq2Seq(9, 9, d_model=16, nhead=2, dim_feedforward=32).eval()
    src, tgt = _batch()
    tgt_in = s2s.teacher_forcing_inputs(tgt, BOS)
    out = m(src, tgt_in)
    tgt2 = tgt_in.clone()
    tgt2[:, 3:] = 5
    torch.testing.assert_close(m(src, tgt2)[:, :3], out[:, :3])      # no peeking at later targets
    assert s2s.greedy_decode(m.next_logits(src[:1]), torch.tensor([[BOS]]), 4).shape == (1, 5)


@pytest.mark.syllabus("transformers_nlp.non_autoregressive_decoder")
def test_nat_one_pass_produces_all_positions():
    torch.manual_seed(0)
    m = s2s.NonAutoregressiveTransformer(9, 9, max_len=7, d_model=16, nhead=2, dim_feedforward=32).eval()
    src, _ = _batch()
    calls = []
    h = m.decoder.register_forward_hook(lambda *a: calls.append(1))
    logits, length_logits = m(src, length=5)
    h.remove()
    assert len(calls) == 1 and logits.shape == (4, 5, 9) and length_logits.shape == (4, 8)
    tokens, lengths = m.generate(src)                                # no token is fed back
    assert tokens.shape == (4, 7) and lengths.shape == (4,)
    with pytest.raises(ValueError, match="length"):
        m(src, length=8)
