"""n-gram LM, RNN LM, perplexity, MRR, cosine similarity."""
import math

import pytest
import torch
import torch.nn.functional as F

import deepnotes.text as tx

torch.set_num_threads(1)


@pytest.mark.syllabus("sequences.ngram_lm")
def test_bigram_counts_normalisation_and_chain_rule():
    a, b, c = 0, 1, 2
    seq = [a, b, a, c, a, b, b, a]
    lm = tx.NGramLM(2, 3, bos=None).fit(seq)
    pairs = list(zip(seq, seq[1:]))
    assert lm.prob(b, (a,)) == pytest.approx(pairs.count((a, b)) / seq[:-1].count(a))
    for h in (a, b, c):
        if (h,) in lm.counts:
            assert lm.distribution((h,)).sum().item() == pytest.approx(1.0)
    sm = tx.NGramLM(3, 3, k=0.5, bos=0).fit(seq)
    for h in [(0, 0), (1, 0), (2, 2)]:
        assert sm.distribution(h).sum().item() == pytest.approx(1.0)
    test = [a, b, a]
    manual = sum(math.log(sm.prob(w, tuple(([0, 0] + test)[t:t + 2]))) for t, w in enumerate(test))
    assert sm.sequence_log_prob(test) == pytest.approx(manual)
    uni = tx.NGramLM(1, 3).fit(seq)
    assert uni.prob(a) == pytest.approx(seq.count(a) / len(seq))


@pytest.mark.syllabus("transformers_nlp.perplexity")
def test_perplexity_extremes_and_torch():
    V = 17
    tgt = torch.randint(0, V, (4, 9))
    assert tx.perplexity(torch.zeros(4, 9, V), tgt).item() == pytest.approx(V)
    perfect = F.one_hot(tgt, V).double() * 1e4
    assert tx.perplexity(perfect, tgt).item() == pytest.approx(1.0)
    logits = torch.randn(4, 9, V)
    ref = torch.exp(F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1)))
    assert tx.perplexity(logits, tgt).item() == pytest.approx(ref.item(), rel=1e-6)
    tgt_pad = tgt.clone()
    tgt_pad[:, 6:] = -100                                             # held-out padding is not scored
    ref_pad = torch.exp(F.cross_entropy(logits.reshape(-1, V), tgt_pad.reshape(-1), ignore_index=-100))
    assert tx.perplexity(logits, tgt_pad, ignore_index=-100).item() == pytest.approx(ref_pad.item(), rel=1e-6)


@pytest.mark.syllabus("transformers_nlp.mean_reciprocal_rank")
def test_mrr():
    assert tx.mean_reciprocal_rank([1, 2, 4]) == pytest.approx(0.5833, abs=1e-4)
    assert tx.mean_reciprocal_rank([1, 1, 1]) == 1.0
    scores = torch.tensor([[0.9, 0.1, 0.3], [0.2, 0.5, 0.4], [0.1, 0.2, 0.3]])
    assert tx.ranks_of_targets(scores, torch.tensor([0, 2, 0])).tolist() == [1, 2, 3]
    assert tx.mean_reciprocal_rank(scores=scores, target=torch.tensor([0, 2, 0])) == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    with pytest.raises(ValueError, match="ranks"):
        tx.mean_reciprocal_rank([0, 1])


@pytest.mark.syllabus("transformers_nlp.cosine_similarity")
def test_cosine_similarity():
    a, b = torch.randn(5, 8), torch.randn(5, 8)
    torch.testing.assert_close(tx.cosine_similarity(a, b), F.cosine_similarity(a, b, dim=-1))
    torch.testing.assert_close(tx.cosine_similarity(3 * a, 0.5 * b), tx.cosine_similarity(a, b))
    torch.testing.assert_close(tx.cosine_similarity(a, a), torch.ones(5))
    z = torch.zeros(8)                                                # epsilon guard: 0, not NaN
    torch.testing.assert_close(tx.cosine_similarity(z, a[0]), F.cosine_similarity(z, a[0], dim=0))
    e = torch.eye(4)
    e[1] = e[0] * 2 + 0.01
    assert tx.nearest_neighbours(e, 0, 1) == [1]


@pytest.mark.syllabus("sequences.rnn_language_model")
def test_rnn_lm_shapes_and_learns_a_cycle():
    torch.manual_seed(0)
    lm = tx.RNNLanguageModel(5, 8, 16, cell="gru")
    seq = torch.tensor([[0, 1, 2, 3, 4] * 4])
    opt = torch.optim.Adam(lm.parameters(), 0.05)
    for _ in range(60):
        logits, _ = lm(seq[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 5), seq[:, 1:].reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
    assert tx.perplexity(lm(seq[:, :-1])[0], seq[:, 1:]).item() < 1.2  # far below |V| = 5
    assert lm.next_logits(seq[:, :3]).shape == (1, 5)
