"""Static and contextual word vectors: word embeddings (skip-gram, CBOW, GloVe, SVD) and
cross-lingual alignment of contextual embeddings, on Shakespeare's plays.

Everything runs on embedded data on a CPU; ``--quick`` shrinks every budget to seconds.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from .registry import Bar, experiment
from .runner import Run

__all__ = ["WordEmbeddingsConfig"]


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


# ---------------------------------------------------------------------------------------------
# exp.tnlp.word_embeddings
# ---------------------------------------------------------------------------------------------
@dataclass
class WordEmbeddingsConfig:
    train_chars: int = 600_000
    vocab_size: int = 1500
    dim: int = 64
    window: int = 2
    steps: int = 200
    batch_pairs: int = 2048
    negatives: int = 5
    lr: float = 0.01


_RELATED = [("thee", "thou"), ("thy", "thine"), ("thy", "your"), ("he", "she"), ("him", "her"), ("his", "her"),
            ("king", "queen"), ("lord", "lady"), ("father", "mother"), ("son", "daughter"), ("brother", "sister"),
            ("good", "noble"), ("day", "night"), ("man", "woman"), ("sir", "madam"), ("is", "was"), ("hath", "has"),
            ("doth", "does"), ("art", "are"), ("one", "two"), ("three", "four"), ("love", "hate"), ("come", "go")]


@experiment("tnlp-word-embeddings", chapter="transformers_nlp", exp_id="exp.tnlp.word_embeddings",
            items=["transformers_nlp.word2vec_skipgram", "transformers_nlp.negative_sampling",
                   "transformers_nlp.hierarchical_softmax", "transformers_nlp.cbow", "transformers_nlp.glove",
                   "transformers_nlp.svd_embeddings", "transformers_nlp.cosine_similarity", "sequences.one_hot_encoding"],
            bars=[Bar("min_related_minus_random_cos", ">", 0.0, "related words are nearer than random pairs (every method)"),
                  Bar("ns_over_full_quality", ">=", 0.7, "negative sampling matches full-softmax quality"),
                  Bar("ns_over_full_step_time", "<", 1.0, "... at lower cost"),
                  Bar("skipgram_cbow_comparison_measured", "==", 1.0, "skip-gram vs CBOW (003's claim) measured"),
                  Bar("onehot_distance_spread", "==", 0.0, "one-hot codes are equidistant")],
            quick=dict(train_chars=30_000, vocab_size=200, dim=8, steps=3, batch_pairs=64), budget="~1-2 min")
def tnlp_word_embeddings(cfg: WordEmbeddingsConfig, run: Run) -> dict:
    """Skip-gram (full softmax, negative sampling, hierarchical softmax), CBOW, GloVe and SVD on Shakespeare."""
    from collections import Counter

    from ..data.shakespeare import shakespeare_text
    from ..nn import one_hot_encode
    from ..text import (CBOW, GloVe, HierarchicalSoftmax, NegativeSampler, SkipGram, cbow_windows, cooccurrence_matrix,
                        cosine_similarity, negative_sampling_loss, ppmi, skipgram_pairs, svd_embeddings, word_split)
    torch.manual_seed(run.seed)
    words = word_split(shakespeare_text("train")[: cfg.train_chars])
    counts = Counter(words)
    itos = ["<unk>"] + [w for w, _ in counts.most_common(cfg.vocab_size - 1)]
    stoi = {w: i for i, w in enumerate(itos)}
    V = len(itos)
    ids = torch.tensor([stoi.get(w, 0) for w in words])
    freq = torch.bincount(ids, minlength=V).double()
    pairs = skipgram_pairs(ids, cfg.window)
    pairs = pairs[(pairs != 0).all(1)]
    ctx, centre = cbow_windows(ids, cfg.window)
    keep = (centre != 0)
    ctx, centre = ctx[keep], centre[keep]
    g = run.generator
    related = [(stoi[a], stoi[b]) for a, b in _RELATED if a in stoi and b in stoi]
    rand = torch.randint(1, V, (500, 2), generator=g)

    def quality(E):
        a = torch.tensor(related)
        rel = cosine_similarity(E[a[:, 0]], E[a[:, 1]]).mean().item()
        rnd = cosine_similarity(E[rand[:, 0]], E[rand[:, 1]]).mean().item()
        return rel - rnd

    def fit(params, loss_fn, tag):
        opt = torch.optim.Adam(params, lr=cfg.lr)
        t0 = time.process_time()
        for step in range(cfg.steps):
            loss = loss_fn(step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % 50 == 0 or step == cfg.steps - 1:
                run.log(step=step, **{f"{tag}_loss": loss.item()})
        return (time.process_time() - t0) / cfg.steps

    def batch(P, step):
        return P[torch.randint(0, len(P), (cfg.batch_pairs,), generator=g)]

    res, step_time = {}, {}
    sg = SkipGram(V, cfg.dim, seed=run.seed)
    step_time["skipgram_full"] = fit(sg.parameters(), lambda s: sg.loss(*batch(pairs, s).T), "skipgram_full")
    res["skipgram_full"] = quality(sg.embeddings())
    ns = SkipGram(V, cfg.dim, seed=run.seed)
    sampler = NegativeSampler(freq)

    def ns_loss(s):
        b = batch(pairs, s)
        neg = sampler.sample((len(b), cfg.negatives), generator=g)
        return negative_sampling_loss(ns.in_embed[b[:, 0]], ns.out_embed[b[:, 1]], ns.out_embed[neg])
    step_time["skipgram_ns"] = fit(ns.parameters(), ns_loss, "skipgram_ns")
    res["skipgram_ns"] = quality(ns.embeddings())
    hs_in = nn.Parameter((torch.rand(V, cfg.dim, generator=g) - 0.5) / cfg.dim)
    hs = HierarchicalSoftmax(freq.tolist(), cfg.dim)

    def hs_loss(s):
        b = batch(pairs, s)
        return -hs.log_prob(hs_in[b[:, 0]], b[:, 1]).mean()
    step_time["skipgram_hs"] = fit([hs_in, *hs.parameters()], hs_loss, "skipgram_hs")
    res["skipgram_hs"] = quality(hs_in.detach())
    cb = CBOW(V, cfg.dim, seed=run.seed)

    def cb_loss(s):
        i = torch.randint(0, len(centre), (cfg.batch_pairs,), generator=g)
        return cb.loss(ctx[i], centre[i])
    step_time["cbow"] = fit(cb.parameters(), cb_loss, "cbow")
    res["cbow"] = quality(cb.embeddings())
    X = cooccurrence_matrix(ids, V, cfg.window + 3)
    X[0], X[:, 0] = 0, 0
    gl = GloVe(V, cfg.dim, seed=run.seed)
    step_time["glove"] = fit(gl.parameters(), lambda s: gl.loss(X) / max(1, int((X > 0).sum())), "glove")
    res["glove"] = quality(gl.embeddings())
    res["svd_ppmi"] = quality(svd_embeddings(ppmi(X), cfg.dim).float())
    codes = one_hot_encode(torch.arange(5), 5)
    dists = torch.cdist(codes, codes)[~torch.eye(5, dtype=torch.bool)]
    E = svd_embeddings(ppmi(X), cfg.dim).float()
    neighbours = {w: [itos[j] for j in (cosine_similarity(E[stoi[w]], E).topk(6).indices.tolist()) if j != stoi[w]][:5]
                  for w in ("thee", "king", "love", "good") if w in stoi}
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    a.bar(list(res), list(res.values())), a.set_ylabel("cos(related) - cos(random)")
    a.tick_params(axis="x", rotation=20)
    top = torch.arange(1, min(V, 60))
    U, S, _ = torch.pca_lowrank(E[top], q=2)
    xy = U[:, :2] * S[:2]
    b.scatter(xy[:, 0], xy[:, 1], s=5)
    for i, t in enumerate(top.tolist()):
        b.annotate(itos[t], xy[i].tolist(), fontsize=6)
    b.set_title("SVD-PPMI embeddings, 60 most frequent words (PCA)")
    fig.suptitle("; ".join(f"{w}: {', '.join(n)}" for w, n in neighbours.items()), fontsize=7)
    run.save_figure(fig, "word_embeddings")
    out = {f"{k}_related_minus_random_cos": v for k, v in res.items()}
    out.update({f"{k}_step_cpu_s": v for k, v in step_time.items()})
    sg_cbow = res["skipgram_full"] - res["cbow"]
    out.update(min_related_minus_random_cos=min(res.values()),
               ns_over_full_quality=res["skipgram_ns"] / res["skipgram_full"] if res["skipgram_full"] > 0 else 0.0,
               ns_over_full_step_time=step_time["skipgram_ns"] / step_time["skipgram_full"],
               skipgram_minus_cbow_quality=sg_cbow,
               skipgram_cbow_comparison_measured=float(math.isfinite(sg_cbow)),
               onehot_distance_spread=(dists - math.sqrt(2)).abs().max().item(),
               skipgram_params_10k_300=float(sum(p.numel() for p in SkipGram(10_000, 300).parameters())),
               num_related_pairs=float(len(related)))
    return out
