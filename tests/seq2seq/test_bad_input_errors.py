"""Bad input across the sequence, attention and language-model APIs (issue 5's list): mismatched
lengths and masks, out-of-vocabulary ids, edge indices out of range. Each error is a ValueError
naming the argument, with what was expected and what was given."""
import pytest
import torch

import deepnotes.graphs as gr
import deepnotes.nn as dn
import deepnotes.seq2seq as s2s
import deepnotes.text as tx

torch.set_num_threads(1)


def _raises(arg, fn):
    with pytest.raises(ValueError) as info:
        fn()
    msg = str(info.value)
    assert msg.startswith(arg) and "expected" in msg and "got" in msg, msg
    return msg


@pytest.mark.parametrize("att", [dn.AdditiveAttention(4, 4, 5), dn.DotProductAttention(), dn.BilinearAttention(4, 4)])
def test_encoder_decoder_attention_mask_length(att):
    msg = _raises("mask", lambda: att(torch.randn(2, 4), torch.randn(2, 6, 4), torch.ones(2, 5, dtype=torch.bool)))
    assert "(2, 6)" in msg and "(2, 5)" in msg


def test_sequence_lengths_that_do_not_fit():
    lp = torch.randn(5, 2, 3).log_softmax(-1)
    tg = torch.tensor([[1, 2], [1, 1]])
    _raises("input_lengths", lambda: s2s.ctc_loss(lp, tg, torch.tensor([6, 5]), torch.tensor([2, 2])))
    _raises("input_lengths", lambda: s2s.ctc_loss(lp, tg, torch.tensor([5]), torch.tensor([2, 2])))
    _raises("target_lengths", lambda: s2s.ctc_loss(lp, tg, torch.tensor([5, 5]), torch.tensor([3, 2])))
    clf = dn.RecurrentClassifier(dn.GRU(3, 4, batch_first=True), 2)
    _raises("lengths", lambda: clf(torch.randn(2, 5, 3), torch.tensor([3, 9])))
    _raises("lengths", lambda: clf(torch.randn(2, 5, 3), torch.tensor([3])))
    _raises("output_lengths", lambda: s2s.guided_attention_loss(torch.rand(2, 4, 5), output_lengths=torch.tensor([4, 6])))
    _raises("input_lengths", lambda: s2s.guided_attention_loss(torch.rand(2, 4, 5), input_lengths=torch.tensor([9, 5])))
    _raises("lengths", lambda: dn.padding_mask(torch.tensor([3, 7]), 5))
    _raises("y", lambda: list(dn.truncated_bptt_chunks(torch.randn(1, 9, 2), torch.randn(1, 8, 2), 3)))
    _raises("target", lambda: tx.perplexity(torch.randn(2, 5, 7), torch.randint(0, 7, (2, 4))))
    _raises("labels/attention_mask", lambda: tx.token_classification_loss(torch.randn(2, 5, 4), torch.randint(0, 4, (2, 5)),
                                                                         torch.ones(2, 4)))


def test_out_of_vocabulary_ids():
    _raises("input", lambda: s2s.RNNEncoderDecoder(9, 9, 8, 16)(torch.tensor([[3, 12]]), torch.tensor([[1, 3]])))
    _raises("input", lambda: tx.RNNLanguageModel(5, 8, 16)(torch.tensor([[5]])))
    _raises("idx", lambda: tx.GPT(tx.GPTConfig(vocab_size=30, block_size=16, n_layer=1, n_head=2, n_embd=16))(
        torch.tensor([[30]])))
    _raises("src_ext", lambda: s2s.copy_distribution(torch.softmax(torch.randn(1, 10), -1), torch.softmax(torch.randn(1, 2), -1),
                                                     torch.tensor([[3, 14]]), torch.tensor([[0.5]]), 13))
    lm = tx.NGramLM(2, 3).fit([0, 1, 2, 1])
    _raises("word", lambda: lm.prob(5, (0,)))
    _raises("ids", lambda: tx.NGramLM(2, 3).fit([0, 3]))


@pytest.mark.parametrize("layer", [lambda: gr.GCNConv(3, 2), lambda: gr.GraphAttention(3, 4, heads=1),
                                   lambda: gr.SAGEConv(3, 2), lambda: gr.ChebConv(3, 2, 2),
                                   lambda: gr.SpatialGraphConv(3, 2), lambda: gr.DCNN(3, 2, 2),
                                   lambda: gr.MoNetConv(3, 2)])
def test_graph_layers_reject_edges_out_of_range(layer):
    msg = _raises("edge_index", lambda: layer()(torch.randn(4, 3), torch.tensor([[0, 1], [1, 9]])))
    assert "[0, 4)" in msg and "9" in msg
