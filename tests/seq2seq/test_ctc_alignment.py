"""CTC against torch's ctc_loss; framing; guided attention; monotonic attention (Monte Carlo)."""
import pytest
import torch
import torch.nn.functional as F

import deepnotes.seq2seq as s2s

torch.set_num_threads(1)
D = torch.float64


@pytest.mark.syllabus("sequences.ctc")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ctc_equals_torch_loss_and_grad(reduction):
    g = torch.Generator().manual_seed(0)
    T, N, C = 12, 4, 5
    logits = torch.randn(T, N, C, dtype=D, generator=g, requires_grad=True)
    targets = torch.randint(1, C, (N, 4), generator=g)
    targets[1, :3] = torch.tensor([2, 2, 3])                          # repeated labels need a blank
    in_l, tg_l = torch.tensor([12, 10, 7, 12]), torch.tensor([4, 3, 2, 1])
    lp = logits.log_softmax(-1)
    ours = s2s.ctc_loss(lp, targets, in_l, tg_l, reduction=reduction)
    ref = F.ctc_loss(lp, targets, in_l, tg_l, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    (g1,) = torch.autograd.grad(ours.sum(), logits, retain_graph=True)
    (g2,) = torch.autograd.grad(ref.sum(), logits)
    torch.testing.assert_close(g1, g2, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(s2s.ctc_loss(lp, targets, in_l, tg_l, reduction=reduction, fast=True), ours,
                               rtol=1e-5, atol=1e-5)


@pytest.mark.syllabus("sequences.ctc")
def test_ctc_collapse_and_greedy_decode():
    a, b = 1, 2
    assert s2s.ctc_collapse([a, a, 0, a, b, b]) == [a, a, b]
    path = torch.tensor([a, a, 0, a, b, b])
    lp = F.one_hot(path, 3).double().unsqueeze(1).log()               # (T, 1, C)
    assert s2s.ctc_greedy_decode(lp) == [[a, a, b]]
    with pytest.raises(ValueError, match="targets"):
        s2s.ctc_loss(lp, torch.tensor([[0, 1]]), torch.tensor([6]), torch.tensor([2]))


@pytest.mark.syllabus("sequences.audio_framing")
def test_framing_one_second_16khz():
    x = torch.arange(16000.0)
    W, H = s2s.frame_lengths_ms(16000)
    frames = s2s.frame_signal(x, W, H)
    assert (W, H) == (400, 160) and frames.shape == (98, 400)
    for k in (0, 1, 50, 97):
        assert torch.equal(frames[k], x[k * H:k * H + W])
    with pytest.raises(ValueError, match="signal"):
        s2s.frame_signal(torch.zeros(10), 400, 160)


@pytest.mark.syllabus("sequences.guided_attention_loss")
def test_guided_attention_zero_on_diagonal_and_monotone_off_it():
    N = 10
    diag = torch.eye(N).unsqueeze(0)
    assert s2s.guided_attention_loss(diag).item() == 0.0
    W = s2s.guided_attention_weights(N, N, dtype=D)
    assert W[3, 7].item() == pytest.approx(1 - torch.exp(torch.tensor(-(0.4 ** 2) / (2 * 0.04), dtype=D)).item())
    losses = [s2s.guided_attention_loss(torch.roll(torch.eye(N), k, 1)[None, :N - k]).item() for k in range(5)]
    shifted = []
    for k in range(6):                                                  # mass moves k steps off
        A = torch.zeros(1, N, N)
        for n in range(N):
            A[0, n, min(n + k, N - 1)] = 1
        shifted.append(s2s.guided_attention_loss(A).item())
    assert all(a < b for a, b in zip(shifted, shifted[1:]))


@pytest.mark.syllabus("sequences.monotonic_attention")
def test_monotonic_expected_alignment_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    N, T = 4, 6
    e = torch.randn(1, N, T, dtype=D, generator=g)
    alpha = s2s.monotonic_expected_alignment(e)[0]
    assert torch.all(alpha >= 0) and torch.all(alpha.sum(-1) <= 1 + 1e-12)
    p = torch.sigmoid(e[0])
    S = 40000
    counts = torch.zeros(N, T, dtype=D)
    u = torch.rand(S, N, T, generator=g, dtype=D)
    stops = u < p                                                       # (S, N, T) stop decisions
    pos = torch.zeros(S, dtype=torch.long)                              # simulate S readers at once
    alive = torch.ones(S, dtype=torch.bool)
    j = torch.arange(T).expand(S, T)
    for i in range(N):
        ok = stops[:, i] & (j >= pos[:, None])
        first = torch.where(ok, j, torch.full_like(j, T)).min(1).values
        alive = alive & (first < T)                                     # ran off the end: stops for good
        counts[i] = torch.bincount(first[alive], minlength=T)[:T].double()
        pos = torch.where(alive, first, pos)
    torch.testing.assert_close(counts / S, alpha, atol=0.015, rtol=0)
    hard = s2s.monotonic_hard_alignment(torch.randn(3, 8, 10, generator=g))
    assert torch.all(hard[:, 1:] >= hard[:, :-1])
