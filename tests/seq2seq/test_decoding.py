"""Greedy, beam search and sampling decoders against exhaustive search and chi-square tests."""
import itertools
import math

import pytest
import torch
from scipy.stats import chisquare

import deepnotes.seq2seq as s2s

torch.set_num_threads(1)


def table_model(V=4, seed=0, EOS=None):
    """A fixed random conditional table p(y_t | y_{t-1}, t) (a 'model' with no parameters)."""
    g = torch.Generator().manual_seed(seed)
    tab = torch.randn(8, V, V, generator=g) * 2                          # (t, prev, next)

    def next_logits(prefix):
        t = prefix.shape[1] - 1
        return tab[t, prefix[:, -1] % V]
    return next_logits, tab


def greedy_suboptimal_model():
    """3 steps over {0: a, 1: b}: greedy picks a (0.6) but b then gives a near-certain path."""
    def next_logits(prefix):
        t = prefix.shape[1] - 1
        rows = []
        for seq in prefix.tolist():
            if t == 0:
                p = [0.6, 0.4]
            elif seq[1] == 0:
                p = [0.5, 0.5]
            else:
                p = [0.95, 0.05]
            rows.append(torch.tensor(p).log())
        return torch.stack(rows)
    return next_logits


def seq_logprob(next_logits, prefix, tokens):
    lp, seq = 0.0, prefix
    for tok in tokens:
        lp += torch.log_softmax(next_logits(seq), -1)[0, tok].item()
        seq = torch.cat([seq, torch.tensor([[tok]])], 1)
    return lp


@pytest.mark.syllabus("sequences.greedy_decoding", "sequences.beam_search")
@pytest.mark.parametrize("seed", range(4))
def test_beam_width_one_equals_greedy(seed):
    f, _ = table_model(seed=seed)
    prefix = torch.tensor([[1]])
    greedy = s2s.greedy_decode(f, prefix, max_len=5)[0, 1:].tolist()
    beam = s2s.beam_search(f, prefix, beam_size=1, max_len=5, length_norm=False)[0]
    assert beam.tokens == greedy
    assert beam.log_prob == pytest.approx(seq_logprob(f, prefix, greedy), abs=1e-5)


@pytest.mark.syllabus("sequences.beam_search")
def test_beam_two_beats_greedy_on_hand_built_model():
    f = greedy_suboptimal_model()
    prefix = torch.tensor([[5]])
    greedy = s2s.greedy_decode(f, prefix, 3)[0, 1:].tolist()
    best = s2s.beam_search(f, prefix, 2, 3, length_norm=False)[0]
    assert greedy[0] == 0 and best.tokens[0] == 1
    assert best.log_prob > seq_logprob(f, prefix, greedy)


@pytest.mark.syllabus("sequences.beam_search")
@pytest.mark.parametrize("seed", range(3))
def test_wide_beam_equals_exhaustive_search(seed):
    V, T = 3, 3
    f, _ = table_model(V=V, seed=seed)
    prefix = torch.tensor([[0]])
    scores = {seq: seq_logprob(f, prefix, seq) for seq in itertools.product(range(V), repeat=T)}
    best_seq = max(scores, key=scores.get)
    res = s2s.beam_search(f, prefix, beam_size=V ** T, max_len=T, length_norm=False)
    assert tuple(res[0].tokens) == best_seq
    assert res[0].log_prob == pytest.approx(scores[best_seq], abs=1e-5)


@pytest.mark.syllabus("sequences.beam_search")
def test_eos_hypotheses_finish_and_length_normalisation():
    V, EOS = 4, 3
    f, _ = table_model(V=V, seed=1)
    res = s2s.beam_search(f, torch.tensor([[0]]), 3, 6, eos=EOS, length_norm=True)
    for h in res:
        assert EOS not in h.tokens[:-1]
        if h.finished:
            assert h.tokens[-1] == EOS
    norm = [h.log_prob / len(h.tokens) for h in res]
    assert norm == sorted(norm, reverse=True)


@pytest.mark.syllabus("sequences.sampling_decoding")
def test_temperature_sampling_frequencies_chi_square():
    z = torch.tensor([[1.0, 0.5, -0.3, 2.0, 0.0]])
    g = torch.Generator().manual_seed(0)
    n = 100_000
    tau = 0.7
    seqs = s2s.sample_decode(lambda p: z.expand(p.shape[0], -1), torch.zeros(n, 1, dtype=torch.long), 1,
                             temperature=tau, generator=g)
    counts = torch.bincount(seqs[:, 1], minlength=5).double()
    expected = torch.softmax(z[0].double() / tau, 0) * n
    assert chisquare(counts.numpy(), expected.numpy()).pvalue > 0.01


@pytest.mark.syllabus("sequences.sampling_decoding")
def test_top_k_and_nucleus_stay_inside_and_zero_temperature_is_greedy():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(1, 10, generator=g)
    top3 = set(z[0].topk(3).indices.tolist())
    seqs = s2s.sample_decode(lambda p: z.expand(p.shape[0], -1), torch.zeros(5000, 1, dtype=torch.long), 1,
                             top_k=3, generator=g)
    assert set(seqs[:, 1].tolist()) <= top3
    p = torch.softmax(z[0], 0)
    order = p.argsort(descending=True)
    need = int((p[order].cumsum(0) < 0.8).sum()) + 1                    # smallest nucleus of mass 0.8
    seqs = s2s.sample_decode(lambda q: z.expand(q.shape[0], -1), torch.zeros(5000, 1, dtype=torch.long), 1,
                             top_p=0.8, generator=g)
    assert set(seqs[:, 1].tolist()) <= set(order[:need].tolist())
    f, _ = table_model(seed=2)
    prefix = torch.tensor([[1], [2]])
    assert torch.equal(s2s.sample_decode(f, prefix, 4, temperature=0), s2s.greedy_decode(f, prefix, 4))
    with pytest.raises(ValueError, match="top_p"):
        s2s.filter_logits(z, top_p=1.5)


@pytest.mark.syllabus("sequences.beam_search")
@pytest.mark.parametrize("length_norm", [False, True])
def test_unpruned_beam_with_eos_equals_exhaustive_search(length_norm):
    """With a beam wide enough to prune nothing, the best hypothesis is the best of ALL complete
    outputs (ended by EOS at any length, or cut at max_len) under the chosen score."""
    V, EOS, T = 3, 2, 3
    f, _ = table_model(V=V, seed=3)
    prefix = torch.tensor([[0]])
    outputs = [list(seq[:seq.index(EOS) + 1]) if EOS in seq else list(seq)
               for seq in itertools.product(range(V), repeat=T)]
    outputs = {tuple(o) for o in outputs}
    score = lambda o: seq_logprob(f, prefix, o) / (len(o) if length_norm else 1)  # noqa: E731
    best = max(outputs, key=score)
    res = s2s.beam_search(f, prefix, beam_size=V ** T, max_len=T, eos=EOS, length_norm=length_norm)
    assert tuple(res[0].tokens) == best
    assert res[0].score(length_norm) == pytest.approx(score(best), abs=1e-6)
    assert {tuple(h.tokens) for h in res} == outputs


@pytest.mark.syllabus("sequences.sampling_decoding")
def test_top_k_and_nucleus_sets_and_renormalised_frequencies():
    """top-k keeps exactly the k largest logits; top-p keeps exactly the smallest prefix of the
    sorted distribution whose mass reaches p; sampling inside the kept set follows the
    renormalised softmax(z / tau) (chi-square)."""
    z = torch.tensor([[1.0, 0.5, -0.3, 2.0, 0.0, -1.0]])
    assert torch.isfinite(s2s.filter_logits(z, top_k=3)[0]).tolist() == [True, True, False, True, False, False]
    p = torch.softmax(z[0], 0)                                         # sorted: 3, 0, 1, 4, 2, 5
    order = p.argsort(descending=True)
    for top_p in (0.3, float(p[order[:2]].sum()) + 1e-6, 0.75, 0.999):
        need = int((p[order].cumsum(0) < top_p).sum()) + 1
        kept = torch.isfinite(s2s.filter_logits(z, top_p=top_p)[0])
        assert set(kept.nonzero()[:, 0].tolist()) == set(order[:need].tolist()), top_p
    n, tau = 60_000, 0.8
    g = torch.Generator().manual_seed(0)
    seqs = s2s.sample_decode(lambda q: z.expand(q.shape[0], -1), torch.zeros(n, 1, dtype=torch.long), 1,
                             temperature=tau, top_k=3, generator=g)
    counts = torch.bincount(seqs[:, 1], minlength=6).double()
    keep = [0, 1, 3]
    expected = torch.softmax(z[0, keep].double() / tau, 0) * n
    assert counts[[2, 4, 5]].sum() == 0
    assert chisquare(counts[keep].numpy(), expected.numpy()).pvalue > 0.01


def test_decoding_bad_input():
    f, _ = table_model()
    with pytest.raises(ValueError, match="prefix"):
        s2s.greedy_decode(f, torch.tensor([1.0]), 3)
    with pytest.raises(ValueError, match="prefix"):
        s2s.beam_search(f, torch.tensor([[1], [2]]), 2, 3)
