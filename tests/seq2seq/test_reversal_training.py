"""The training claims of the verify lines, measured on the syllabus' reversal task (slow: ~20-60
CPU s each, skipped by default; run with --runslow).

transformers_nlp.transformer: a small Transformer (2 + 2 layers, d = 64) on reversal of up to 8
symbols reaches >= 99% token accuracy under greedy decoding. sequences.seq2seq_rnn: the GRU
encoder-decoder WITHOUT attention reaches >= 95% exact match on reversal of length <= 8 over 10
symbols, its output length decided by its own [EOS].
"""
import pytest
import torch
import torch.nn.functional as F

import deepnotes.seq2seq as s2s
from deepnotes.data import BOS, FIRST_SYMBOL, PAD, make_reverse_task

V = 10 + FIRST_SYMBOL


def _train(model, steps, lr=3e-3, seed=0):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    for _ in range(steps):
        src, tgt = make_reverse_task(64, 8, 10, min_length=1, generator=g)
        out = model(src, s2s.teacher_forcing_inputs(tgt, BOS))
        logits = out[0] if isinstance(out, tuple) else out
        loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    return model.eval()


def _scores(pred, tgt):
    T = tgt.shape[1]
    pred = F.pad(pred, (0, max(0, T - pred.shape[1])), value=PAD)[:, :T]
    keep = tgt != PAD                                                  # real symbols and the EOS
    return (pred[keep] == tgt[keep]).float().mean().item(), ((pred == tgt) | ~keep).all(1).float().mean().item()


@pytest.mark.slow
@pytest.mark.syllabus("transformers_nlp.transformer")
def test_transformer_reversal_token_accuracy():
    torch.set_num_threads(1)
    model = _train(s2s.TransformerSeq2Seq(V, V, d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                                          dim_feedforward=128), 600)
    src, tgt = make_reverse_task(500, 8, 10, min_length=1, generator=torch.Generator().manual_seed(123))
    with torch.no_grad():
        pred = s2s.greedy_decode(model.next_logits(src), torch.full((500, 1), BOS), 9)[:, 1:]
    token_acc, _ = _scores(pred, tgt)
    assert token_acc >= 0.99


@pytest.mark.slow
@pytest.mark.syllabus("sequences.seq2seq_rnn")
def test_rnn_encoder_decoder_reversal_exact_match():
    torch.set_num_threads(1)
    model = _train(s2s.RNNEncoderDecoder(V, V, 32, 128), 1500)
    src, tgt = make_reverse_task(500, 8, 10, min_length=1, generator=torch.Generator().manual_seed(123))
    pred, _ = model.generate(src, 9)                                  # free running until its own EOS
    _, exact = _scores(pred, tgt)
    assert exact >= 0.95
