"""BART-style denoising seq2seq model: causality, loss, encoder checkpoint, corruptions, learning."""
import math

import pytest
import torch
import torch.nn.functional as F

from deepnotes.text import BartForDenoising, BertConfig, BertModel, bart_corrupt

pytestmark = pytest.mark.syllabus("transformers_nlp.denoising_seq2seq_pretraining")

V, PAD, BOS, EOS, MASK = 24, 0, 2, 3, 4


def _config(**kw):
    return BertConfig(**{**dict(vocab_size=V, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                intermediate_size=64, max_position_embeddings=16, hidden_dropout_prob=0.0), **kw})


def test_decoder_is_causal_and_reads_the_encoder():
    torch.manual_seed(0)
    m = BartForDenoising(_config()).eval()
    src, tgt = torch.randint(5, V, (2, 7)), torch.randint(5, V, (2, 9))
    with torch.no_grad():
        a = m(src, torch.ones_like(src), tgt)[0]
        tgt2 = tgt.clone()
        tgt2[:, 5:] = torch.randint(5, V, (2, 4))
        b = m(src, torch.ones_like(src), tgt2)[0]
        src2 = src.clone()
        src2[:, 3] = (src[:, 3] - 5 + 1) % (V - 5) + 5
        c = m(src2, torch.ones_like(src), tgt)[0]
    assert torch.allclose(a[:, :5], b[:, :5], atol=1e-6)          # no position sees later targets
    assert (a[:, 5:] - b[:, 5:]).abs().max() > 1e-4
    assert (a - c).abs().max() > 1e-4                               # cross-attention to the corrupted input


def test_loss_is_cross_entropy_with_ignored_padding_and_padding_does_not_leak():
    torch.manual_seed(1)
    m = BartForDenoising(_config()).eval()
    src = torch.tensor([[2, 5, 6, 7, 3], [2, 8, 9, 3, PAD]])
    dec = torch.tensor([[2, 5, 6, 7], [2, 8, 9, PAD]])
    lab = torch.tensor([[5, 6, 7, 3], [8, 9, 3, -100]])
    logits, loss = m(src, (src != PAD).long(), dec, lab, (dec != PAD).long())
    picked = [logits[0, t, lab[0, t]] - logits[0, t].logsumexp(-1) for t in range(4)]
    picked += [logits[1, t, lab[1, t]] - logits[1, t].logsumexp(-1) for t in range(3)]
    assert torch.allclose(loss, -torch.stack(picked).mean(), atol=1e-6)
    assert torch.allclose(loss, F.cross_entropy(logits.reshape(-1, V), lab.reshape(-1), ignore_index=-100))
    # the second row alone, without padding, gives the same logits on its real positions
    alone = m(src[1:, :4], None, dec[1:, :3])[0]
    assert torch.allclose(alone[0], logits[1, :3], atol=1e-5)


def test_encoder_checkpoint_loads_into_bert_and_output_is_tied():
    c = _config()
    m = BartForDenoising(c, num_decoder_layers=2)
    bert = BertModel(c)
    bert.load_state_dict(m.encoder.state_dict())                   # strict: same names and shapes
    x = torch.randint(5, V, (2, 6))
    assert torch.allclose(bert(x)[0], m.encoder(x)[0])
    assert len(m.decoder.layers) == 2
    assert m.embed_tokens.weight is m.encoder.word_embeddings.weight                # BART's shared embedding


def test_bart_corrupt_contracts():
    line = list(range(10, 40))
    seen = set()
    for s in range(60):
        out, kind = bart_corrupt(line, "M", p=0.3, generator=torch.Generator().manual_seed(s))
        seen.add(kind)
        if kind == "token_masking":
            assert len(out) == len(line) and all(o == t or o == "M" for o, t in zip(out, line))
        elif kind == "token_deletion":
            it = iter(line)
            assert "M" not in out and all(o in it for o in out)     # an ordered subsequence
        else:
            kept = [o for o in out if o != "M"]
            assert len(out) < len(line) and len(line) - len(kept) == round(0.3 * len(line))
    assert seen == {"token_masking", "token_deletion", "span_infilling"}
    assert bart_corrupt(line, "M", kinds=("token_deletion",), generator=torch.Generator().manual_seed(0))[1] \
        == "token_deletion"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="kinds"):
        bart_corrupt([1, 2], "M", kinds=("shuffle",))
    with pytest.raises(ValueError, match="p"):
        bart_corrupt([1, 2], "M", p=1.5)
    m = BartForDenoising(_config())
    with pytest.raises(ValueError, match="decoder_input_ids"):
        m(torch.randint(5, V, (2, 4)), None, torch.randint(5, V, (2, 40)))
    with pytest.raises(ValueError, match="labels"):
        m(torch.randint(5, V, (2, 4)), None, torch.randint(5, V, (2, 4)), torch.zeros(2, 3, dtype=torch.long))


def test_learns_to_reconstruct_masked_sequences_below_unigram_entropy():
    """Uniform random lines, one piece masked: the ideal loss is ~ln(V-5)/(T+1); the unigram one ln(V-5)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = BartForDenoising(_config())
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    T = 6
    for _ in range(160):
        clean = torch.randint(5, V, (32, T), generator=g)                         # (B, T)
        noisy = clean.clone()
        noisy[torch.arange(32), torch.randint(0, T, (32,), generator=g)] = MASK
        src = torch.cat([torch.full((32, 1), BOS), noisy, torch.full((32, 1), EOS)], 1)
        dec = torch.cat([torch.full((32, 1), BOS), clean], 1)
        lab = torch.cat([clean, torch.full((32, 1), EOS)], 1)
        _, loss = m(src, None, dec, lab)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * math.log(V - 5)
