"""Experiments of the transformers_nlp chapter: attention properties, positional encodings,
Transformer vs RNN and non-autoregressive decoding, BERT/ELMo pre-training and fine-tuning with
a BART-style denoising variant, a small GPT with BPE. (Static word embeddings and cross-lingual
alignment by MRR are in experiments/word_vectors.py.)

Everything runs on embedded data (Shakespeare's plays, synthetic sequences) on a CPU;
``--quick`` shrinks every budget to seconds.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["AttentionPropertiesConfig", "PositionalConfig", "TransformerNATConfig",
           "PretrainFinetuneConfig", "GPTBPEConfig"]



# ---------------------------------------------------------------------------------------------
# exp.tnlp.attention_properties
# ---------------------------------------------------------------------------------------------
@dataclass
class AttentionPropertiesConfig:
    d: int = 16
    lengths: tuple = (256, 512, 1024, 2048, 4096)
    window: int = 8
    repeats: int = 3


@experiment("tnlp-attention-properties", chapter="transformers_nlp", exp_id="exp.tnlp.attention_properties",
            items=["transformers_nlp.basic_self_attention", "transformers_nlp.scaled_dot_product_attention",
                   "transformers_nlp.permutation_equivariance", "transformers_nlp.multi_head_attention",
                   "transformers_nlp.causal_mask", "transformers_nlp.attention_masks", "transformers_nlp.local_attention",
                   "transformers_nlp.sinusoidal_positional_encoding", "transformers_nlp.image_self_attention"],
            bars=[Bar("max_equality_error", "<=", 1e-6, "loop = matrix = SDPA, permutation equivariance, MHA = torch"),
                  Bar("causal_leak", "==", 0.0, "no output before t changes when tokens after t change"),
                  Bar("jack_jill_no_pe_diff", "<=", 1e-9, "without PE the two sentences give the same outputs"),
                  Bar("jack_jill_pe_diff", ">", 1e-3, "with PE they differ"),
                  Bar("local_time_loglog_slope", "<=", 1.3, "local attention time grows linearly with length")],
            quick=dict(lengths=(64, 128, 256), repeats=1), budget="~20 s")
def tnlp_attention_properties(cfg: AttentionPropertiesConfig, run: Run) -> dict:
    """Self-attention equalities, masks, Jack/Jill with and without PE, local attention cost."""
    from ..nn import (ImageSelfAttention, MultiheadAttention, basic_self_attention, scaled_dot_product_attention,
                      sinusoidal_encoding, sliding_window_attention)
    g = run.generator
    D, d = torch.float64, cfg.d
    x = torch.randn(2, 10, d, dtype=D, generator=g)
    errs = {}
    y, A = scaled_dot_product_attention(x, x, x, need_weights=True)
    loop = torch.stack([torch.stack([(torch.softmax(torch.stack([x[b, i] @ x[b, j] / math.sqrt(d) for j in range(10)]), 0)
                                      [:, None] * x[b]).sum(0) for i in range(10)]) for b in range(2)])
    errs["loop_vs_matrix"] = (loop - y).abs().max().item()
    errs["rows_sum_to_one"] = (A.sum(-1) - 1).abs().max().item()
    errs["fast_vs_manual"] = (scaled_dot_product_attention(x, x, x, fast=True) - y).abs().max().item()
    P = torch.randperm(10, generator=g)
    errs["permutation"] = (scaled_dot_product_attention(x[:, P], x[:, P], x[:, P]) - y[:, P]).abs().max().item()
    ref = torch.nn.MultiheadAttention(d, 4, batch_first=True, dtype=D)
    ours = MultiheadAttention(d, 4, batch_first=True, dtype=D)
    ours.load_state_dict(ref.state_dict())
    errs["mha_vs_torch"] = (ours(x, x, x)[0] - ref(x, x, x)[0]).abs().max().item()
    x2 = x.clone()
    x2[:, 6:] = torch.randn(2, 4, d, dtype=D, generator=g)
    leak = (scaled_dot_product_attention(x, x, x, is_causal=True)[:, :6]
            - scaled_dot_product_attention(x2, x2, x2, is_causal=True)[:, :6]).abs().max().item()
    words = "jack gave water to jill".split()
    emb = {w: torch.randn(d, dtype=D, generator=g) for w in words}
    s1 = torch.stack([emb[w] for w in words])
    s2 = torch.stack([emb[w] for w in "jill gave water to jack".split()])
    key = lambda t: t[torch.argsort(t[:, 0])]  # noqa: E731  (rows as a multiset)
    no_pe = (key(basic_self_attention(s1)[0]) - key(basic_self_attention(s2)[0])).abs().max().item()
    pe = sinusoidal_encoding(5, d, dtype=D)
    with_pe = (key(basic_self_attention(s1 + pe)[0]) - key(basic_self_attention(s2 + pe)[0])).abs().max().item()
    img = ImageSelfAttention(4, radius=1).double()
    im = torch.randn(1, 4, 6, 6, dtype=D, generator=g, requires_grad=True)
    img(im)[0, :, 3, 3].sum().backward()
    outside = im.grad[0].abs().sum(0)
    outside[2:5, 2:5] = 0
    errs["image_locality"] = outside.max().item()
    times = {"local": [], "full": []}
    warm = torch.randn(1, cfg.lengths[0], d)
    sliding_window_attention(warm, warm, warm, cfg.window), scaled_dot_product_attention(warm, warm, warm)
    for L in cfg.lengths:
        q = torch.randn(1, L, d, generator=g)
        for kind in times:
            best = float("inf")
            for _ in range(cfg.repeats):
                t0 = time.perf_counter()
                if kind == "local":
                    sliding_window_attention(q, q, q, cfg.window)
                else:
                    scaled_dot_product_attention(q, q, q)
                best = min(best, time.perf_counter() - t0)
            times[kind].append(best)
        run.log(step=L, local_s=times["local"][-1], full_s=times["full"][-1])
    logL = torch.log(torch.tensor(cfg.lengths, dtype=D))
    slope = lambda ts: torch.linalg.lstsq(torch.stack([logL, torch.ones_like(logL)], 1),  # noqa: E731
                                          torch.log(torch.tensor(ts, dtype=D)).unsqueeze(1)).solution[0, 0].item()
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.imshow(A[0].detach().numpy()), a.set_title("attention weights A (rows sum to 1)")
    for k, v in times.items():
        b.loglog(cfg.lengths, v, "o-", label=f"{k} (slope {slope(v):.2f})")
    b.set_xlabel("sequence length"), b.set_ylabel("seconds"), b.legend()
    run.save_figure(fig, "attention_properties")
    return {**{f"{k}_error": v for k, v in errs.items()}, "max_equality_error": max(errs.values()),
            "causal_leak": leak, "jack_jill_no_pe_diff": no_pe, "jack_jill_pe_diff": with_pe,
            "local_time_loglog_slope": slope(times["local"]), "full_time_loglog_slope": slope(times["full"])}


# ---------------------------------------------------------------------------------------------
# exp.tnlp.positional_encodings
# ---------------------------------------------------------------------------------------------
@dataclass
class PositionalConfig:
    train_length: int = 16
    test_length: int = 32
    vocab: int = 8
    d_model: int = 32
    steps: int = 400
    batch_size: int = 64
    lr: float = 3e-3


class _TaggerWithPositions(nn.Module):
    """Embedding + a position scheme + a 2-layer encoder + per-token head (batch first)."""

    def __init__(self, kind: str, V: int, d: int, max_len: int):
        super().__init__()
        from ..nn import (Embedding, LearnedPositionalEmbedding, PositionFeatures, SinusoidalPositionalEncoding,
                          TransformerEncoder, TransformerEncoderLayer)
        self.kind = kind
        self.embed = Embedding(V, d)
        if kind == "sinusoidal":
            self.pos, width = SinusoidalPositionalEncoding(d), d
        elif kind == "learned":
            self.pos, width = LearnedPositionalEmbedding(max_len, d), d
        elif kind == "integer":
            self.pos, width = PositionFeatures(d, "index", "concat"), d + 1
        else:
            self.pos, width = PositionFeatures(d, "onehot", "concat", max_len=max_len), d + max_len
        self.proj = nn.Linear(width, d)
        self.encoder = TransformerEncoder(TransformerEncoderLayer(d, 4, 2 * d, 0.0, batch_first=True, fast=True), 2)
        self.head = nn.Linear(d, V)

    def forward(self, x):
        return self.head(self.encoder(self.proj(self.pos(self.embed(x)))))


@experiment("tnlp-positional-encodings", chapter="transformers_nlp", exp_id="exp.tnlp.positional_encodings",
            items=["transformers_nlp.sinusoidal_positional_encoding", "transformers_nlp.learned_positional_embedding",
                   "transformers_nlp.simple_position_features", "transformers_nlp.transformer_encoder_block"],
            bars=[Bar("learned_runs_longer", "==", 0.0, "learned PE cannot address unseen positions"),
                  Bar("sinusoidal_runs_longer", "==", 1.0, "sinusoidal PE runs at any length"),
                  Bar("integer_acc_drop", ">", 0.0, "integer position features degrade with length")],
            quick=dict(steps=4, d_model=16, batch_size=8, train_length=6, test_length=12), budget="~1 min")
def tnlp_positional_encodings(cfg: PositionalConfig, run: Run) -> dict:
    """Encoder taggers with sinusoidal, learned, integer and one-hot positions on a shift task."""
    torch.manual_seed(run.seed)
    V = cfg.vocab

    def batch(n, L, g):                      # label at position t is the token at t - 1 (0 at t = 0)
        x = torch.randint(1, V, (n, L), generator=g)
        return x, F.pad(x[:, :-1], (1, 0))

    out, curves = {}, {}
    tx_, ty_ = batch(500, cfg.train_length, torch.Generator().manual_seed(1))
    lx, ly = batch(500, cfg.test_length, torch.Generator().manual_seed(2))
    for kind in ("sinusoidal", "learned", "integer", "onehot"):
        g = torch.Generator().manual_seed(run.seed)
        model = _TaggerWithPositions(kind, V, cfg.d_model, cfg.train_length)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        curves[kind] = []
        for step in range(cfg.steps):
            x, y = batch(cfg.batch_size, cfg.train_length, g)
            loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            curves[kind].append(loss.item())
            if step % 50 == 0:
                run.log(step=step, **{f"{kind}_loss": loss.item()})
        model.eval()
        with torch.no_grad():
            out[f"{kind}_acc_train_length"] = (model(tx_).argmax(-1) == ty_).float().mean().item()
            try:
                out[f"{kind}_acc_long"] = (model(lx).argmax(-1) == ly).float().mean().item()
                out[f"{kind}_runs_longer"] = 1.0
            except ValueError:                   # positions beyond the table: cannot be addressed
                out[f"{kind}_acc_long"] = float("nan")
                out[f"{kind}_runs_longer"] = 0.0
    out["integer_acc_drop"] = out["integer_acc_train_length"] - out["integer_acc_long"]
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for k, c in curves.items():
        a.plot(c, label=k)
    a.set_yscale("log"), a.set_xlabel("step"), a.set_ylabel("train loss"), a.legend()
    kinds = list(curves)
    b.bar([i - 0.2 for i in range(4)], [out[f"{k}_acc_train_length"] for k in kinds], 0.4, label=f"L={cfg.train_length}")
    b.bar([i + 0.2 for i in range(4)], [0 if math.isnan(out[f"{k}_acc_long"]) else out[f"{k}_acc_long"] for k in kinds],
          0.4, label=f"L={cfg.test_length} (0 = cannot run)")
    b.set_xticks(range(4), kinds), b.set_ylabel("token accuracy"), b.legend()
    run.save_figure(fig, "positional_encodings")
    return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}


# ---------------------------------------------------------------------------------------------
# exp.tnlp.gpt_bpe
# ---------------------------------------------------------------------------------------------
@dataclass
class GPTBPEConfig:
    train_chars: int = 300_000
    val_chars: int = 30_000
    num_merges: int = 300
    steps: int = 300
    batch_size: int = 32
    block_size: int = 64
    n_embd: int = 64
    lr: float = 3e-3
    sample_tokens: int = 300


def _distinct_ngrams(ids: list[int], n: int = 4) -> float:
    grams = [tuple(ids[i:i + n]) for i in range(len(ids) - n + 1)]
    return len(set(grams)) / max(len(grams), 1)


def _train_gpt(model, ids, cfg, g, run, tag):
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    losses = []
    for step in range(cfg.steps):
        starts = torch.randint(0, len(ids) - cfg.block_size - 1, (cfg.batch_size,), generator=g).tolist()
        xb = torch.stack([ids[s:s + cfg.block_size + 1] for s in starts])
        _, loss = model(xb[:, :-1], xb[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == cfg.steps - 1:
            run.log(step=step, **{f"{tag}_train_loss": loss.item()})
    return losses


def _val_loss(model, ids, block):
    n = min(32, (len(ids) - 1) // block)
    x = ids[: n * block + 1]
    with torch.no_grad():
        return model(x[:-1].view(n, block), x[1:].view(n, block))[1].item()


@experiment("tnlp-gpt-bpe", chapter="transformers_nlp", exp_id="exp.tnlp.gpt_bpe",
            items=["transformers_nlp.gpt", "transformers_nlp.bpe", "transformers_nlp.causal_mask",
                   "sequences.sampling_decoding", "transformers_nlp.perplexity"],
            bars=[Bar("val_loss_decrease", ">", 0.5, "validation loss decreases (nats/char)"),
                  Bar("distinct4_low_minus_high_temperature", "<", 0.0, "lower temperature gives more repetitive text"),
                  Bar("bpe_toy_merges_match", "==", 1.0, "BPE reproduces the Sennrich toy merges")],
            quick=dict(train_chars=20_000, val_chars=3_000, num_merges=20, steps=4, batch_size=4, block_size=32,
                       n_embd=16, sample_tokens=20), budget="~1-2 min")
def tnlp_gpt_bpe(cfg: GPTBPEConfig, run: Run) -> dict:
    """A small GPT on Shakespeare, characters vs BPE tokens (bits per char), samples by temperature."""
    from ..data.shakespeare import shakespeare_text
    from ..text import GPT, BPETokenizer, CharTokenizer, GPTConfig, learn_bpe
    torch.manual_seed(run.seed)
    toy = learn_bpe({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 5)
    toy_ok = float(toy == [("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w")])
    train_text, val_text = shakespeare_text("train")[: cfg.train_chars], shakespeare_text("val")[: cfg.val_chars]
    # characters
    ctok = CharTokenizer().fit(train_text + val_text)
    ctrain, cval = ctok.encode(train_text), ctok.encode(val_text)
    mk = lambda V: GPT(GPTConfig(vocab_size=V, block_size=cfg.block_size, n_layer=2, n_head=4, n_embd=cfg.n_embd))  # noqa: E731
    char_model = mk(len(ctok.vocab))
    char_model.eval()
    val_before = _val_loss(char_model, cval, cfg.block_size)
    char_model.train()
    char_curve = _train_gpt(char_model, ctrain, cfg, torch.Generator().manual_seed(run.seed), run, "char")
    char_model.eval()
    val_after = _val_loss(char_model, cval, cfg.block_size)
    # BPE tokens (words lower-cased, merges learned on the training text)
    bpe = BPETokenizer().fit(train_text, cfg.num_merges)
    tr_tok, va_tok = bpe.tokenize(train_text), bpe.tokenize(val_text)
    symbols = sorted(set(tr_tok) | set(va_tok))
    stoi = {s: i for i, s in enumerate(symbols)}
    btrain = torch.tensor([stoi[s] for s in tr_tok])
    bval = torch.tensor([stoi[s] for s in va_tok])
    bpe_model = mk(len(symbols))
    _train_gpt(bpe_model, btrain, cfg, torch.Generator().manual_seed(run.seed), run, "bpe")
    bpe_model.eval()
    val_chars_bpe = len(bpe.detokenize(va_tok[: (min(32, (len(bval) - 1) // cfg.block_size) * cfg.block_size)]))
    n_tok = min(32, (len(bval) - 1) // cfg.block_size) * cfg.block_size
    bpe_bpc = _val_loss(bpe_model, bval, cfg.block_size) * n_tok / max(val_chars_bpe, 1) / math.log(2)
    char_bpc = val_after / math.log(2)
    # samples at two temperatures
    prompt = ctok.encode(val_text[:20]).unsqueeze(0)
    samples, distinct = {}, {}
    for tau in (0.5, 1.0):
        ids = char_model.generate(prompt, cfg.sample_tokens, temperature=tau,
                                  generator=torch.Generator().manual_seed(run.seed))[0, prompt.shape[1]:].tolist()
        samples[tau], distinct[tau] = ctok.decode(ids), _distinct_ngrams(ids)
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    a.plot(char_curve, label="char GPT train loss")
    a.axhline(val_after, color="C1", ls="--", label="char GPT val loss (end)")
    a.set_xlabel("step"), a.set_ylabel("nats / token"), a.legend()
    b.axis("off")
    b.text(0, 1, "\n\n".join(f"T = {t}:\n{samples[t][:160]}" for t in samples), va="top", fontsize=7, family="monospace")
    run.save_figure(fig, "gpt_samples")
    return {"val_loss_before": val_before, "val_loss_after": val_after, "val_loss_decrease": val_before - val_after,
            "char_bits_per_char": char_bpc, "bpe_bits_per_char": bpe_bpc, "bpe_vocab_size": float(len(symbols)),
            "distinct4_temperature_0_5": distinct[0.5], "distinct4_temperature_1_0": distinct[1.0],
            "distinct4_low_minus_high_temperature": distinct[0.5] - distinct[1.0], "bpe_toy_merges_match": toy_ok}


# ---------------------------------------------------------------------------------------------
# exp.tnlp.transformer_vs_rnn_nat
# ---------------------------------------------------------------------------------------------
@dataclass
class TransformerNATConfig:
    vocab: int = 8
    length: int = 16                       # the race: reversal of 16 symbols
    short_length: int = 6                  # the same race on short sequences, for contrast
    step_time_lengths: tuple = (4, 8, 16, 32)
    d_model: int = 32                      # Transformer: 2+2 layers, 4 heads, FFN 2d (44k parameters)
    rnn_hidden: int = 64                   # attention GRU: emb 32, hidden 64, additive attention (61k)
    lrs: tuple = (3e-3, 1e-2)              # the same Adam LR sweep for both models
    batch_size: int = 32
    max_steps: int = 800
    loss_target: float = 0.1
    nat_length: int = 6
    nat_d_model: int = 64
    nat_steps: int = 300
    nat_batch_size: int = 64
    nat_lr: float = 2e-3


@experiment("tnlp-transformer-vs-rnn-nat", chapter="transformers_nlp", exp_id="exp.tnlp.transformer_vs_rnn_nat",
            items=["transformers_nlp.transformer", "transformers_nlp.transformer_encoder_block",
                   "transformers_nlp.transformer_decoder_block", "transformers_nlp.cross_attention",
                   "transformers_nlp.position_wise_ffn", "transformers_nlp.non_autoregressive_decoder",
                   "sequences.attention_seq2seq"],
            bars=[Bar("transformer_over_rnn_cpu_time_to_loss", "<", 1.0,
                      "the Transformer trains faster per (CPU) second (reversal of length 16, both at their best LR)"),
                  Bar("nat_decoder_passes", "==", 1.0, "NAT decodes in one pass"),
                  Bar("nat_copy_exact", ">=", 0.95, "NAT matches AT on unimodal targets (copy, given length)"),
                  Bar("at_minus_nat_bimodal_valid", ">", 0.0, "NAT is worse on multimodal targets")],
            quick=dict(length=4, short_length=3, step_time_lengths=(2, 4), d_model=8, rnn_hidden=8, lrs=(1e-2,),
                       batch_size=4, max_steps=3, nat_length=3, nat_d_model=8, nat_steps=3, nat_batch_size=4),
            budget="~1.5 min")
def tnlp_transformer_vs_rnn_nat(cfg: TransformerNATConfig, run: Run) -> dict:
    """Transformer vs attention-RNN seq2seq on reversal; NAT vs AT on copy and on copy-or-reverse.

    Why the race is run at length 16. The claim rests on parallelism over time steps: the
    Transformer's training step is a fixed number of batched matrix products whatever the length,
    the attention RNN's decoder is a loop of T dependent steps. On one CPU thread there is no
    parallel hardware, so what remains is fewer, larger kernels: per-step CPU time of the two
    models (measured here at ``step_time_lengths``, both on their fast kernels: SDPA for the
    Transformer, the fused GRU plus keys projected once for the RNN) is about equal near T = 8
    and the Transformer's lead grows with T (about 2x at 16, 3x at 32). Steps-to-target are
    about the same for both, so time-to-loss follows per-step time: at T = 6 there is no
    Transformer advantage (ratio 1.4-1.5 at seed 0 over repeated runs, 0.98 at seed 1; the earlier setup at T = 6 with a 4x larger Transformer and unequal
    LRs measured 1.45), at T = 16 the Transformer is about 2x faster (ratio 0.4-0.6), and at T = 32
    (measured while setting this up) the RNN had not reached the target in 4x the Transformer's
    time. The bar is therefore stated for the regime the claim is about,
    T = 16, with comparable models (44k vs 61k parameters, the RNN the larger) each given the
    same Adam LR sweep and its best LR; time counts the CPU seconds of training steps only (no
    data generation, no logging). The T = 6 ratio and the per-step crossover are reported too.
    """
    from ..data.sequence_tasks import BOS, make_copy_task, make_reverse_task, sequence_vocab_size, shift_right
    from ..seq2seq import NonAutoregressiveTransformer, RNNEncoderDecoder, TransformerSeq2Seq, greedy_decode
    from ..seq2seq import sequence_cross_entropy
    V = sequence_vocab_size(cfg.vocab)

    def make_model(kind):
        torch.manual_seed(run.seed)
        if kind == "transformer":
            return TransformerSeq2Seq(V, V, cfg.d_model, 4 if cfg.d_model % 4 == 0 else 1, 2, 2, 2 * cfg.d_model)
        return RNNEncoderDecoder(V, V, 32, cfg.rnn_hidden, "additive")

    def loss_of(model, src, tgt):
        out = model(src, shift_right(tgt))
        return sequence_cross_entropy(out[0] if isinstance(out, tuple) else out, tgt)

    def race(kind, L, lr, cpu_cap):
        """Train until the 10-step mean loss is below the target; CPU seconds of the steps only."""
        model, g = make_model(kind), torch.Generator().manual_seed(run.seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        cpu, curve, hit = [], [], None
        for step in range(cfg.max_steps):
            src, tgt = make_reverse_task(cfg.batch_size, L, cfg.vocab, generator=g)
            t0 = time.process_time()
            loss = loss_of(model, src, tgt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            cpu.append((cpu[-1] if cpu else 0.0) + time.process_time() - t0)
            curve.append(loss.item())
            if sum(curve[-10:]) / len(curve[-10:]) < cfg.loss_target:
                hit = cpu[-1]
                break
            if cpu[-1] > cpu_cap:                      # already slower than this model's best LR
                break
        return hit, cpu, curve

    def best_race(kind, L, tag):
        best = (math.inf, None, None, None)
        for lr in cfg.lrs:
            hit, cpu, curve = race(kind, L, lr, best[0])
            run.log(step=L, **{f"{tag}_{kind}_lr{lr:g}_cpu_to_target": hit if hit is not None else math.nan})
            if hit is not None and hit < best[0]:
                best = (hit, lr, cpu, curve)
            elif best[2] is None:
                best = (math.inf, None, cpu, curve)     # nothing reached: keep a curve to draw
        return best

    # 1. per-step CPU time against the sequence length: where does the Transformer overtake?
    step_ms = {"transformer": [], "rnn": []}
    for L in cfg.step_time_lengths:
        src, tgt = make_reverse_task(cfg.batch_size, L, cfg.vocab, generator=torch.Generator().manual_seed(run.seed))
        for kind in step_ms:
            model = make_model(kind)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            times = []
            for i in range(7):
                t0 = time.process_time()
                loss = loss_of(model, src, tgt)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if i >= 2:                                # 2 warm-up steps
                    times.append(time.process_time() - t0)
            step_ms[kind].append(1000 * sorted(times)[len(times) // 2])
        run.log(step=L, transformer_step_ms=step_ms["transformer"][-1], rnn_step_ms=step_ms["rnn"][-1])
    faster = [L for L, a, b in zip(cfg.step_time_lengths, step_ms["transformer"], step_ms["rnn"]) if a < b]
    crossover = float(min(faster)) if faster else math.nan

    # 2. time to the target loss, each model at its best LR of the same sweep
    races = {(L, k): best_race(k, L, tag) for L, tag in ((cfg.length, "long"), (cfg.short_length, "short"))
             for k in ("transformer", "rnn")}

    def ratio(L):
        """CPU-time ratio to the target. If the RNN never got there, its spent time bounds the
        ratio from above; if the Transformer never got there, the claim is not shown (>= 1)."""
        t, r = races[(L, "transformer")][0], races[(L, "rnn")][0]
        r = races[(L, "rnn")][2][-1] if math.isinf(r) else r
        if math.isinf(t):
            return max(1.0, races[(L, "transformer")][2][-1] / r)
        return t / r
    long_ratio, short_ratio = ratio(cfg.length), ratio(cfg.short_length)

    # 3. NAT vs AT: copy (unimodal) and copy-or-reverse (bimodal) targets
    torch.manual_seed(run.seed)
    L = cfg.nat_length

    def train(model, make, kind, tag):
        g = torch.Generator().manual_seed(run.seed)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.nat_lr)
        for step in range(cfg.nat_steps):
            src, tgt = make(cfg.nat_batch_size, g)
            if kind == "nat":
                logits, len_logits = model(src, length=tgt.shape[1])
                loss = sequence_cross_entropy(logits, tgt) + F.cross_entropy(len_logits, (tgt != 0).sum(1))
            else:
                loss = sequence_cross_entropy(model(src, shift_right(tgt)), tgt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if step % 50 == 0:
                run.log(step=step, **{f"{tag}_loss": loss.item()})
        model.eval()

    def bimodal(n, g):                 # the same input maps to its copy or its reversal, at random
        src, cp = make_copy_task(n, L, cfg.vocab, generator=g)
        flip = torch.rand(n, generator=g) < 0.5
        rv = torch.cat([src[:, :L].flip(1), src[:, L:]], 1)
        return src, torch.where(flip[:, None], rv, cp)

    d, heads = cfg.nat_d_model, 4 if cfg.nat_d_model % 4 == 0 else 1
    copy = lambda n, g: make_copy_task(n, L, cfg.vocab, generator=g)  # noqa: E731
    nat_copy = NonAutoregressiveTransformer(V, V, L + 1, d, heads, 2, 2, 2 * d)
    train(nat_copy, copy, "nat", "nat_copy")
    test_src, test_tgt = make_copy_task(300, L, cfg.vocab, generator=torch.Generator().manual_seed(5))
    calls = []
    hook = nat_copy.decoder.register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        pred = nat_copy(test_src, length=test_tgt.shape[1])[0].argmax(-1)
    hook.remove()
    nat_copy_exact = (pred == test_tgt).all(1).float().mean().item()
    at_bi = TransformerSeq2Seq(V, V, d, heads, 2, 2, 2 * d)
    nat_bi = NonAutoregressiveTransformer(V, V, L + 1, d, heads, 2, 2, 2 * d)
    train(at_bi, bimodal, "at", "at_bimodal")
    train(nat_bi, bimodal, "nat", "nat_bimodal")
    cp_tgt = test_tgt
    rv_tgt = torch.cat([test_src[:, :L].flip(1), test_src[:, L:]], 1)
    valid = lambda p: ((p == cp_tgt).all(1) | (p == rv_tgt).all(1)).float().mean().item()  # noqa: E731
    with torch.no_grad():
        at_pred = greedy_decode(at_bi.next_logits(test_src), torch.full((len(test_src), 1), BOS), L + 1)[:, 1:]
        nat_pred = nat_bi(test_src, length=L + 1)[0].argmax(-1)
    at_valid, nat_valid = valid(at_pred), valid(nat_pred)

    plt = _plt()
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(16, 4))
    for k, mk in (("transformer", "o-"), ("rnn", "s-")):
        a.plot(cfg.step_time_lengths, step_ms[k], mk, label=k)
    a.set_xscale("log", base=2), a.set_yscale("log")
    a.set_xlabel("sequence length T"), a.set_ylabel("CPU ms per training step"), a.legend()
    a.set_title(f"per-step cost (Transformer faster from T = {crossover:g})")
    for (Lr, k), (hit, lr, cpu, curve) in races.items():
        if cpu is not None:
            b.plot(cpu, curve, ("-" if Lr == cfg.length else ":"), color="C0" if k == "transformer" else "C1",
                   label=f"{k}, T={Lr}, lr={lr if lr is not None else 'none'}")
    b.axhline(cfg.loss_target, ls="--", color="k"), b.set_yscale("log")
    b.set_xlabel("CPU seconds (training steps)"), b.set_ylabel("train loss (reversal)"), b.legend(fontsize=7)
    b.set_title(f"time to loss: ratio {long_ratio:.2f} at T={cfg.length}, {short_ratio:.2f} at T={cfg.short_length}")
    names = ["NAT copy exact", "AT copy-or-rev valid", "NAT copy-or-rev valid"]
    c.bar(names, [nat_copy_exact, at_valid, nat_valid]), c.tick_params(axis="x", rotation=10)
    run.save_figure(fig, "transformer_vs_rnn_nat")
    tr_best, rnn_best = races[(cfg.length, "transformer")], races[(cfg.length, "rnn")]
    return {"transformer_over_rnn_cpu_time_to_loss": long_ratio,
            "transformer_reached_target": float(not math.isinf(tr_best[0])),
            "rnn_reached_target": float(not math.isinf(rnn_best[0])),
            "transformer_over_rnn_cpu_time_to_loss_short": short_ratio,
            "transformer_cpu_s_to_loss": tr_best[0], "rnn_cpu_s_to_loss": rnn_best[0],
            "transformer_best_lr": tr_best[1] if tr_best[1] is not None else math.nan,
            "rnn_best_lr": rnn_best[1] if rnn_best[1] is not None else math.nan,
            "step_time_crossover_length": crossover,
            "transformer_over_rnn_step_time_longest": step_ms["transformer"][-1] / step_ms["rnn"][-1],
            "transformer_params": float(sum(p.numel() for p in make_model("transformer").parameters())),
            "rnn_params": float(sum(p.numel() for p in make_model("rnn").parameters())),
            "nat_decoder_passes": float(len(calls)), "nat_copy_exact": nat_copy_exact,
            "at_bimodal_valid": at_valid, "nat_bimodal_valid": nat_valid, "at_minus_nat_bimodal_valid": at_valid - nat_valid}


# ---------------------------------------------------------------------------------------------
# exp.tnlp.pretrain_finetune
# ---------------------------------------------------------------------------------------------
@dataclass
class PretrainFinetuneConfig:
    wordpiece_vocab: int = 800
    wordpiece_chars: int = 80_000
    max_len: int = 48
    d_model: int = 64
    pretrain_steps: int = 600
    warmup_steps: int = 100
    pretrain_lr: float = 3e-3
    batch_size: int = 32
    finetune_labels: int = 256             # few labelled lines
    finetune_steps: int = 100
    finetune_batch_size: int = 16
    finetune_lr: float = 1e-3              # the same for both inits
    finetune_seeds: int = 3
    replaced_pieces: int = 2
    elmo_steps: int = 100
    denoise_steps: int = 400               # BART-style variant: encoder-decoder pre-training steps
    denoise_decoder_layers: int = 1
    denoise_p: float = 0.3                 # masking / deletion probability, span-infilling ratio


@experiment("tnlp-pretrain-finetune", chapter="transformers_nlp", exp_id="exp.tnlp.pretrain_finetune",
            items=["transformers_nlp.bert", "transformers_nlp.masked_language_modeling",
                   "transformers_nlp.sentence_order_prediction", "transformers_nlp.pretrain_finetune",
                   "transformers_nlp.sequence_classification_head", "transformers_nlp.token_classification_head",
                   "transformers_nlp.span_extraction_head", "transformers_nlp.elmo",
                   "transformers_nlp.denoising_seq2seq_pretraining",
                   "transformers_nlp.wordpiece", "transformers_nlp.glue_tasks"],
            bars=[Bar("pretrained_minus_scratch_early_loss", "<", 0.0, "fine-tuning from the pretrained encoder converges faster"),
                  Bar("pretrained_minus_scratch_val_loss", "<", 0.0, "... and reaches a lower loss than scratch"),
                  Bar("elmo_same_word_context_cos", "<", 0.999, "the same word gets different contextual vectors"),
                  Bar("denoise_minus_unigram_loss", "<", 0.0, "BART-style denoising learnt more than token frequencies"),
                  Bar("denoising_minus_scratch_val_loss", "<", 0.0,
                      "the denoising-pretrained encoder also reaches a lower loss than scratch")],
            quick=dict(wordpiece_vocab=120, wordpiece_chars=15_000, max_len=24, d_model=16, pretrain_steps=3,
                       warmup_steps=1, batch_size=4, finetune_labels=16, finetune_steps=3, finetune_batch_size=4,
                       finetune_seeds=1, elmo_steps=2, denoise_steps=3),
            budget="~1.5 min")
def tnlp_pretrain_finetune(cfg: PretrainFinetuneConfig, run: Run) -> dict:
    """Tiny BERT (MLM + SOP) on Shakespeare, fine-tuned with few labels vs scratch (sentence, token, span heads); ELMo.

    Pre-training: WordPiece vocabulary learnt on the training plays; BERT (2 layers, d = 64)
    with masked LM + sentence-order prediction on consecutive speeches of all training plays,
    AdamW with linear warm-up (without warm-up this post-LN model sat on the unigram plateau:
    MLM loss ~3.75 = the unigram entropy after 1500 steps at lr 4e-3). The MLM loss curve is
    drawn against the unigram entropy of the masked targets, so one sees that it learnt more
    than token frequencies. SOP stays near chance at this scale (reported, not claimed).

    Fine-tuning task, and why. The first version fine-tuned on "Hamlet or Romeo and Juliet?"
    from one speech; at this scale neither init learns it (validation accuracy ~0.55 for both
    with 128 labels or the full 1.6k, any of lr 3e-4 / 1e-3): it measures nothing about
    pre-training. The task here is CoLA-like acceptability (a GLUE task, scored by MCC): is this
    first line of a speech from the held-out validation plays (never seen in pre-training) as
    written, or were ``replaced_pieces`` of its word pieces replaced by random ones? It needs
    knowledge of the language (which piece fits its context), which MLM pre-training supplies
    and ``finetune_labels`` = 256 labelled lines cannot. Both inits are the same architecture,
    get the same head initialisation, batches, number of steps and LR, and the result is the
    mean over ``finetune_seeds`` label subsets. "Converges faster" = mean training loss over
    the first third of fine-tuning; "lower loss" = validation cross-entropy at the end.

    The same lines also fine-tune the other two heads once (seed 0), pretrained vs scratch,
    reported without bars: token tagging (which pieces were replaced; F1 of the replaced class)
    and span extraction (a contiguous run of ``replaced_pieces`` random pieces; exact start and
    end). Measured: tagging F1 0.82 vs 0.46-0.60 (pretrained helps); span exact 0.30 for both
    (at this budget both only learn roughly where the odd pieces are, pre-training adds
    nothing). NSP is not run here (SOP replaces NSP, as in ALBERT).

    BART-style variant (deepnotes.text.BartForDenoising): the same BertModel encoder plus a
    one-layer causal decoder, pre-trained for ``denoise_steps`` with the same warm-up and LR to
    reconstruct training lines corrupted by token masking, token deletion or span infilling (one
    per line, p = 0.3); its encoder then fine-tunes on the acceptability task exactly like the
    BERT checkpoint (same head init, batches, steps, LR, seeds, scratch baseline). The
    reconstruction loss is drawn against the unigram entropy of its targets. The token embedding
    is shared by encoder, decoder and output layer, as in BART: with separate decoder embeddings
    the decoder learnt a language model of the clean prefix on its own within 400 steps (loss
    2.7 < unigram 3.75) while the encoder's outputs collapsed to nearly one vector for every
    input (std across lines ~3e-4) and fine-tuned to chance (MCC 0, val CE 0.70-0.81; it beat
    scratch's 1.26 only because scratch overfits). So the unigram bar alone is weak (the
    decoder's own language model passes it); the fine-tuning bar is the one that shows the
    encoder learnt. Measured (seeds 0 / 1): reconstruction 2.79 / 2.82 vs unigram 3.75; val CE
    denoising 0.31 / 0.28 (MCC 0.81 / 0.83), MLM 0.39 / 0.48 (MCC 0.78 / 0.73), scratch
    1.26 / 1.29 (MCC 0.11 / 0.11); early train loss also lower than scratch (-0.12 / -0.15).
    Here denoising beat MLM (``denoising_minus_mlm_val_loss`` -0.08 / -0.20): reported, not
    barred. Whole experiment ~80 CPU s.
    """
    from collections import Counter

    from ..data.shakespeare import shakespeare_plays, shakespeare_speeches, shakespeare_text
    from ..text import (SPECIAL_TOKENS, BartForDenoising, BertConfig, BertForPreTraining, BertModel, BiLM, EncoderWithHead, ScalarMix,
                        SequenceClassificationHead, SpanExtractionHead, TokenClassificationHead, WordPieceTokenizer,
                        bart_corrupt, binary_f1, decode_span, mask_tokens, matthews_corrcoef, pack_pair, sentence_order_pairs,
                        span_loss, token_classification_loss, word_split, wordpiece_tokenize)
    torch.manual_seed(run.seed)
    g = run.generator
    wp = WordPieceTokenizer(unk="<unk>").fit(shakespeare_text("train")[: cfg.wordpiece_chars], cfg.wordpiece_vocab)
    itos = list(SPECIAL_TOKENS) + sorted(wp.vocab)
    stoi = {s: i for i, s in enumerate(itos)}
    pieces_of: dict[str, list[int]] = {}

    def enc(text):                                   # WordPiece ids, each distinct word split once
        out = []
        for w in word_split(text, True):
            if w not in pieces_of:
                pieces_of[w] = [stoi.get(p, 1) for p in wordpiece_tokenize(w, wp.vocab, "<unk>")]
            out += pieces_of[w]
        return out
    CLS, SEP, MASK, PAD = stoi["[CLS]"], stoi["[SEP]"], stoi["[MASK]"], stoi["<pad>"]
    first = len(SPECIAL_TOKENS)
    half = cfg.max_len // 2 - 2
    lines = [enc(t)[:half] for p in shakespeare_plays("train") for _, t in shakespeare_speeches(p)]
    lines = [ln for ln in lines if ln]

    def pad(rows):
        T = max(len(r) for r in rows)
        return torch.tensor([r + [PAD] * (T - len(r)) for r in rows])           # (B, T)

    # 1. pre-training: MLM + SOP with warm-up
    bc = BertConfig(vocab_size=len(itos), hidden_size=cfg.d_model, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=2 * cfg.d_model, max_position_embeddings=cfg.max_len, hidden_dropout_prob=0.0)
    pre = BertForPreTraining(bc)
    opt = torch.optim.AdamW(pre.parameters(), lr=cfg.pretrain_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / cfg.warmup_steps))
    mlm_curve, sop_curve, target_counts = [], [], Counter()
    for step in range(cfg.pretrain_steps):
        rows = sentence_order_pairs(len(lines), cfg.batch_size, g)
        packed = [pack_pair(lines[a], lines[b], CLS, SEP) for a, b, _ in rows.tolist()]
        ids, seg = pad([p[0] for p in packed]), pad([p[1] for p in packed])
        special = (ids == CLS) | (ids == SEP) | (ids == PAD)
        inputs, labels = mask_tokens(ids, len(itos), MASK, special, generator=g, random_low=first)
        mlm_logits, pair_logits, loss = pre(inputs, seg, (ids != PAD).long(), labels, rows[:, 2])
        mlm = F.cross_entropy(mlm_logits.reshape(-1, len(itos)), labels.reshape(-1), ignore_index=-100)
        mlm_curve.append(mlm.item())
        sop_curve.append(loss.item() - mlm.item())
        target_counts.update(labels[labels >= 0].tolist())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 25 == 0:
            run.log(step=step, pretrain_mlm_loss=mlm_curve[-1], pretrain_sop_loss=sop_curve[-1])
    total = sum(target_counts.values())
    unigram = -sum(c / total * math.log(c / total) for c in target_counts.values())  # entropy of MLM targets
    tail = max(1, cfg.pretrain_steps // 10)
    mlm_final, sop_final = sum(mlm_curve[-tail:]) / tail, sum(sop_curve[-tail:]) / tail
    checkpoint = {k: v.detach().clone() for k, v in pre.bert.state_dict().items()}

    # 1b. BART-style variant: the same encoder architecture, pre-trained to reconstruct corrupted lines
    bart = BartForDenoising(bc, cfg.denoise_decoder_layers, max_target_positions=half + 1)
    opt = torch.optim.AdamW(bart.parameters(), lr=cfg.pretrain_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / cfg.warmup_steps))
    denoise_curve, recon_counts = [], Counter()
    for step in range(cfg.denoise_steps):
        clean = [lines[i] for i in torch.randint(0, len(lines), (cfg.batch_size,), generator=g).tolist()]
        noisy = [bart_corrupt(ln, MASK, p=cfg.denoise_p, generator=g)[0] for ln in clean]
        src = pad([[CLS] + n + [SEP] for n in noisy])                            # (B, S) encoder input
        dec_in = pad([[CLS] + c for c in clean])                                 # (B, T) [CLS] = start
        target = pad([c + [SEP] for c in clean])                                 # (B, T) [SEP] = end
        target[dec_in == PAD] = -100
        _, loss = bart(src, (src != PAD).long(), dec_in, target, (dec_in != PAD).long())
        denoise_curve.append(loss.item())
        recon_counts.update(target[target >= 0].tolist())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 25 == 0:
            run.log(step=step, denoise_loss=denoise_curve[-1])
    total = sum(recon_counts.values())
    recon_unigram = -sum(c / total * math.log(c / total) for c in recon_counts.values())
    tail = max(1, cfg.denoise_steps // 10)
    denoise_final = sum(denoise_curve[-tail:]) / tail
    denoise_checkpoint = {k: v.detach().clone() for k, v in bart.encoder.state_dict().items()}

    # 2. fine-tuning on held-out lines (validation plays, never seen in pre-training)
    rng = torch.Generator().manual_seed(1234)
    accept, tagged, spans = [], [], []   # (ids, ok) / (ids, 0-1 tag per piece) / (ids, start, end)
    for p in shakespeare_plays("val"):
        for _, t in shakespeare_speeches(p):
            ids = enc(t.split("\n")[0])[: cfg.max_len - 2]
            k = cfg.replaced_pieces
            if len(ids) < 2 * k + 2:
                continue
            ok = bool(torch.rand((), generator=rng) < 0.5)
            bad, tags = list(ids), [0] * len(ids)
            for j in torch.randperm(len(ids), generator=rng)[:k].tolist():
                bad[j], tags[j] = int(torch.randint(first, len(itos), (), generator=rng)), 1
            accept.append((ids if ok else bad, int(ok)))
            tagged.append((ids if ok else bad, [0] * len(ids) if ok else tags))
            s = int(torch.randint(0, len(ids) - k + 1, (), generator=rng))   # a contiguous replaced span
            span_ids = ids[:s] + torch.randint(first, len(itos), (k,), generator=rng).tolist() + ids[s + k:]
            spans.append((span_ids, s + 1, s + k))                            # +1: [CLS] comes first
    perm = torch.randperm(len(accept), generator=torch.Generator().manual_seed(0)).tolist()
    val_rows, pool_rows = perm[:400], perm[400:]

    def batch(rows, task):
        """Packed ids (B, T) and the task's targets."""
        x = pad([pack_pair(task[i][0], None, CLS, SEP)[0] for i in rows])
        if task is accept:
            return x, torch.tensor([task[i][1] for i in rows])
        if task is tagged:
            return x, pad([[0] + task[i][1] + [0] for i in rows])                # (B, T) tags, 0 at CLS/SEP/pad
        return x, torch.tensor([[task[i][1], task[i][2]] for i in rows])          # (B, 2) start, end

    def task_loss(model, x, y, task):
        out, mask = model(x, attention_mask=(x != PAD).long()), (x != PAD).long()
        if task is accept:
            return F.cross_entropy(out, y), out
        if task is tagged:
            return token_classification_loss(out, y, mask), out
        out = tuple(o.masked_fill(x == PAD, float("-inf")) for o in out)             # no span starts in padding
        return span_loss(*out, y[:, 0], y[:, 1]), out

    def finetune(init, head, task, seed):
        """Same head init, batches, steps and LR for both inits; returns the train curve and model."""
        torch.manual_seed(run.seed * 100 + seed)
        head = head()
        if init == "scratch":
            model = EncoderWithHead(BertModel(bc), head)
        else:
            state = checkpoint if init == "pretrained" else denoise_checkpoint
            model = EncoderWithHead.from_pretrained(BertModel(bc), state, head)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.finetune_lr)
        pick = torch.randperm(len(pool_rows), generator=torch.Generator().manual_seed(run.seed * 100 + seed))
        train = [pool_rows[i] for i in pick[: cfg.finetune_labels].tolist()]
        fg, curve = torch.Generator().manual_seed(run.seed * 100 + seed), []
        for step in range(cfg.finetune_steps):
            idx = torch.randint(0, len(train), (cfg.finetune_batch_size,), generator=fg).tolist()
            loss, _ = task_loss(model, *batch([train[i] for i in idx], task), task)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            curve.append(loss.item())
        return curve, model.eval()

    curves = {"pretrained": [], "scratch": [], "denoising": []}
    results = {"pretrained": [], "scratch": [], "denoising": []}                  # (val CE, MCC) per seed
    other = {}
    vx, vy = batch(val_rows, accept)
    for seed in range(cfg.finetune_seeds):
        for init in ("pretrained", "scratch", "denoising"):
            curve, model = finetune(init, lambda: SequenceClassificationHead(cfg.d_model, 2), accept, seed)
            curves[init].append(curve)
            with torch.no_grad():
                loss, logits = task_loss(model, vx, vy, accept)
            results[init].append((loss.item(), matthews_corrcoef(vy, logits.argmax(-1))))
            run.log(step=seed, **{f"{init}_val_loss": results[init][-1][0], f"{init}_val_mcc": results[init][-1][1]})
    for init in ("pretrained", "scratch"):                                        # token tagging and spans: one seed
        _, model = finetune(init, lambda: TokenClassificationHead(cfg.d_model, 2), tagged, 0)
        tx, ty = batch(val_rows, tagged)
        with torch.no_grad():
            pred = model(tx, attention_mask=(tx != PAD).long()).argmax(-1)     # (B, T)
        real = tx != PAD
        other[f"{init}_tagging_f1"] = binary_f1(ty[real], pred[real])
        _, model = finetune(init, lambda: SpanExtractionHead(cfg.d_model), spans, 0)
        sx, sy = batch(val_rows, spans)
        with torch.no_grad():
            found = decode_span(*task_loss(model, sx, sy, spans)[1], max_len=cfg.replaced_pieces + 2)  # (B, 2)
        other[f"{init}_span_exact"] = (found == sy).all(1).float().mean().item()
    mean_curve = {k: [sum(c[i] for c in v) / len(v) for i in range(cfg.finetune_steps)] for k, v in curves.items()}
    early = max(1, cfg.finetune_steps // 3)
    early_loss = {k: sum(c[:early]) / early for k, c in mean_curve.items()}
    val_loss = {k: sum(r[0] for r in v) / len(v) for k, v in results.items()}
    val_mcc = {k: sum(r[1] for r in v) / len(v) for k, v in results.items()}

    # 3. ELMo: a biLM on word pieces; the same word in two contexts
    bilm = BiLM(len(itos), cfg.d_model, cfg.d_model, 2)
    opt = torch.optim.Adam(bilm.parameters(), lr=3e-3)
    for step in range(cfg.elmo_steps):
        idx = torch.randint(0, len(lines), (cfg.batch_size,), generator=g).tolist()
        x = pad([lines[i] for i in idx])
        loss = bilm.lm_loss(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    mix = ScalarMix(3)
    a, b = enc("my lord , i love thee"), enc("thee i love not , my lord")
    pos_a, pos_b = len(enc("my lord , i love")), 0                   # where the word 'thee' starts
    with torch.no_grad():
        va = mix(bilm.layers(torch.tensor([a])))[0, pos_a]
        vb = mix(bilm.layers(torch.tensor([b])))[0, pos_b]
    elmo_cos = F.cosine_similarity(va, vb, dim=0).item()

    plt = _plt()
    fig, (ax0, axd, ax1) = plt.subplots(1, 3, figsize=(18, 4))
    ax0.plot(mlm_curve, lw=0.6, label="MLM loss"), ax0.plot(sop_curve, lw=0.6, label="SOP loss")
    ax0.axhline(unigram, ls="--", color="k", label=f"unigram entropy {unigram:.2f}")
    ax0.set_xlabel("pre-training step"), ax0.set_ylabel("cross-entropy (nats)"), ax0.legend()
    ax0.set_title("BERT: MLM + SOP")
    axd.plot(denoise_curve, lw=0.6, label="reconstruction loss")
    axd.axhline(recon_unigram, ls="--", color="k", label=f"unigram entropy {recon_unigram:.2f}")
    axd.set_xlabel("pre-training step"), axd.set_ylabel("cross-entropy per target piece (nats)"), axd.legend()
    axd.set_title("BART-style denoising (masking / deletion / infilling)")
    for k, c in mean_curve.items():
        ax1.plot(c, label=f"{k} (val CE {val_loss[k]:.3f}, MCC {val_mcc[k]:.2f})")
    ax1.axvline(early, ls=":", color="grey")
    ax1.set_xlabel("fine-tuning step"), ax1.set_ylabel(f"train CE (mean of {cfg.finetune_seeds} seeds)")
    ax1.set_title(f"acceptability, {cfg.finetune_labels} labels"), ax1.legend()
    run.save_figure(fig, "finetune")
    return {"pretrained_val_loss": val_loss["pretrained"], "scratch_val_loss": val_loss["scratch"],
            "pretrained_val_mcc": val_mcc["pretrained"], "scratch_val_mcc": val_mcc["scratch"],
            "pretrained_minus_scratch_val_loss": val_loss["pretrained"] - val_loss["scratch"],
            "pretrained_minus_scratch_early_loss": early_loss["pretrained"] - early_loss["scratch"],
            "mlm_final_loss": mlm_final, "mlm_unigram_entropy": unigram, "sop_final_loss": sop_final,
            "elmo_same_word_context_cos": elmo_cos, "wordpiece_vocab_size": float(len(itos)),
            "denoise_final_loss": denoise_final, "denoise_unigram_entropy": recon_unigram,
            "denoise_minus_unigram_loss": denoise_final - recon_unigram,
            "denoising_val_loss": val_loss["denoising"], "denoising_val_mcc": val_mcc["denoising"],
            "denoising_minus_scratch_val_loss": val_loss["denoising"] - val_loss["scratch"],
            "denoising_minus_scratch_early_loss": early_loss["denoising"] - early_loss["scratch"],
            "denoising_minus_mlm_val_loss": val_loss["denoising"] - val_loss["pretrained"], **other}
