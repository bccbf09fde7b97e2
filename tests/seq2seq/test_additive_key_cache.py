"""The attention RNN's cached key projection (computed once per source) gives the same logits,
attention maps and gradients as recomputing AdditiveAttention at every decoder step."""
import pytest
import torch

from deepnotes.seq2seq import RNNEncoderDecoder


@pytest.mark.syllabus("sequences.attention_seq2seq")
def test_cached_keys_equal_per_step_attention():
    torch.manual_seed(0)
    m = RNNEncoderDecoder(9, 9, 8, 12, "additive").double()
    src = torch.randint(3, 9, (4, 7))
    src[1, 5:] = 0                                                         # a padded row
    tgt_in = torch.randint(3, 9, (4, 5))
    logits, maps = m(src, tgt_in)
    enc, state, mask = m.encode(src)
    ref_logits, ref_maps, y = [], [], tgt_in[:, 0]
    for t in range(tgt_in.shape[1]):                                       # no cache: AdditiveAttention itself
        lg, state, w = m.decode_step(tgt_in[:, t], state, enc, mask)
        ref_logits.append(lg), ref_maps.append(w)
    torch.testing.assert_close(logits, torch.stack(ref_logits, 1))
    torch.testing.assert_close(maps, torch.stack(ref_maps, 1))
    assert maps[1, :, 5:].abs().max() == 0                                 # padding gets no weight
    g1 = torch.autograd.grad(logits.sum(), m.attention.key_proj.weight)[0]
    g2 = torch.autograd.grad(torch.stack(ref_logits, 1).sum(), m.attention.key_proj.weight)[0]
    torch.testing.assert_close(g1, g2)


def test_project_keys_is_none_without_additive_attention():
    m = RNNEncoderDecoder(9, 9, 8, 12, "dot")
    assert m.project_keys(torch.zeros(2, 3, 12)) is None
