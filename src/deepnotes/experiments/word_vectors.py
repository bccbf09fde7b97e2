"""Static and contextual word vectors: word embeddings (skip-gram, CBOW, GloVe, SVD) and the
cross-lingual alignment of a masked LM's contextual vectors, on Shakespeare's plays.

Syllabus experiments: exp.tnlp.word_embeddings, exp.tnlp.cross_lingual_alignment (items
transformers_nlp.word2vec_skipgram, negative_sampling, hierarchical_softmax, cbow, glove,
svd_embeddings, cosine_similarity, mean_reciprocal_rank, bert; sequences.one_hot_encoding).
Notes: 002 §6.8-6.9; 003 L8.02-L8.18; 000 L7.14-L7.20.

    cosine similarity   sim(a, b) = a.b / (|a| |b|)
    related-pair gap    mean sim over pairs of words of one class - mean sim over random pairs
    ranking quality     AUC = P(sim(related pair) > sim(random pair))    (0.5 = chance)
    mean reciprocal     MRR = mean over query words of 1 / rank of the right partner among all
    rank                candidates (1/|V| for a correct answer at the bottom; H_|V|/|V| expected
                        from a random ranking)

Notes' differences: 003 and the syllabus take (u + v)/2 as word2vec's final vector; word2vec
itself returns the input vectors v, which is what the NS-vs-full comparison scores (both
readouts are reported). The notes give the multilingual-BERT alignment claim without a
setup; here the second language is a word cipher of the first (K et al. 2020's "fake English").

Everything runs on embedded data on a CPU; ``--quick`` shrinks every budget to seconds.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..core import expect
from .plotting import pyplot as _plt
from .registry import Bar, experiment
from .runner import Run

__all__ = ["WordEmbeddingsConfig", "CrossLingualConfig"]



# ---------------------------------------------------------------------------------------------
# exp.tnlp.word_embeddings
# ---------------------------------------------------------------------------------------------
@dataclass
class WordEmbeddingsConfig:
    train_chars: int = 600_000
    vocab_size: int = 1500
    dim: int = 64
    window: int = 2
    epochs: float = 4.0
    batch_pairs: int = 2048
    negatives: int = 5
    lr: float = 0.01
    glove_steps: int = 300
    random_pairs: int = 4000


# Word classes whose members are "related" (they fill the same slots in a sentence). Every
# within-class pair is a related pair (about 500 pairs over 12 classes, plus the speakers' names
# found in the text); a method's quality is the class-averaged mean cosine of related pairs minus
# the mean cosine of random pairs.
_WORD_CLASSES = {
    "subject pronoun": "i you he she we they thou",
    "object pronoun": "me him her us them thee",
    "possessive": "my your his our their thy thine",
    "modal": "will shall would should may might must can could",
    "number": "one two three four five six ten hundred thousand",
    "kin": "father mother son daughter brother sister uncle wife husband child",
    "title": "lord lady king queen duke prince sir madam master mistress",
    "body": "hand hands eye eyes heart head face tongue blood lips",
    "time": "day night morning hour time year tomorrow tonight",
    "be/have/do": "is was are were be been art hath have has had doth does did",
    "preposition": "in on at from with by to of upon into",
}


def _speaker_names(text: str, stoi: dict[str, int], k: int = 12) -> list[str]:
    """The k most frequent one-word speaker names ("NAME:" lines) that are in the vocabulary."""
    import re
    from collections import Counter
    names = Counter(m.lower() for m in re.findall(r"^([A-Z]+):$", text, flags=re.M))
    return [n for n, _ in names.most_common() if n in stoi][:k]


class _RelatedPairs:
    """Within-class word pairs and random pairs; ``gap(E)`` and ``auc(E)`` score an embedding."""

    def __init__(self, classes: dict[str, list[str]], stoi: dict[str, int], num_random: int,
                 generator: torch.Generator):
        import itertools
        self.pairs = {}
        for name, words in classes.items():
            ids = [stoi[w] for w in words if w in stoi]
            if len(ids) >= 2:
                self.pairs[name] = torch.tensor(list(itertools.combinations(ids, 2)))    # (P_c, 2)
        V = len(stoi)
        r = torch.randint(1, V, (num_random, 2), generator=generator)                   # 0 is <unk>
        self.random = r[r[:, 0] != r[:, 1]]

    @property
    def num_pairs(self) -> int:
        return sum(len(p) for p in self.pairs.values())

    def _cos(self, E, pairs):
        from ..text import cosine_similarity
        return cosine_similarity(E[pairs[:, 0]], E[pairs[:, 1]])

    def gap(self, E) -> float:
        """Class-averaged mean cos(related) - mean cos(random)."""
        rnd = self._cos(E, self.random).mean()
        return torch.stack([self._cos(E, p).mean() - rnd for p in self.pairs.values()]).mean().item()

    def auc(self, E) -> float:
        """Class-averaged P(cos(related pair) > cos(random pair)): 0.5 = chance, 1 = perfect."""
        rnd = self._cos(E, self.random)
        return torch.stack([(self._cos(E, p)[:, None] > rnd[None]).double().mean()
                            for p in self.pairs.values()]).mean().item()


@experiment("tnlp-word-embeddings", chapter="transformers_nlp", exp_id="exp.tnlp.word_embeddings",
            items=["transformers_nlp.word2vec_skipgram", "transformers_nlp.negative_sampling",
                   "transformers_nlp.hierarchical_softmax", "transformers_nlp.cbow", "transformers_nlp.glove",
                   "transformers_nlp.svd_embeddings", "transformers_nlp.cosine_similarity", "sequences.one_hot_encoding"],
            bars=[Bar("min_related_minus_random_cos", ">", 0.0, "related words are nearer than random pairs (every method)"),
                  Bar("ns_over_full_quality", ">=", 0.7, "negative sampling matches full-softmax quality"),
                  Bar("ns_over_full_auc_quality", ">=", 0.7, "... also by the scale-free ranking measure"),
                  Bar("ns_over_full_step_time", "<", 1.0, "... at lower cost"),
                  Bar("skipgram_cbow_comparison_measured", "==", 1.0, "skip-gram vs CBOW (003's claim) measured"),
                  Bar("onehot_distance_spread", "==", 0.0, "one-hot codes are equidistant")],
            quick=dict(train_chars=30_000, vocab_size=200, dim=8, epochs=0.05, batch_pairs=64, glove_steps=3,
                       random_pairs=500),
            budget="~2 min")
def tnlp_word_embeddings(cfg: WordEmbeddingsConfig, run: Run) -> dict:
    """Skip-gram (full softmax, negative sampling, hierarchical softmax), CBOW, GloVe and SVD on Shakespeare.

    Every predictive model sees the same number of passes over the (centre, context) pairs
    (``epochs``) with the same optimizer (Adam, ``lr``), and is scored on its input vectors v,
    the vectors word2vec returns. Quality is measured over ~500 within-class related pairs
    (pronouns, modals, kin, titles, numbers, speakers' names, ...) against random pairs, as the
    class-averaged cosine gap and as the scale-free AUC P(cos related > cos random).

    Why this setup (measured, seeds 0 and 1): after one pass (the earlier 200-step budget) the
    full-softmax input vectors were barely trained (gap 0.04) while its (u + v)/2 already scored
    0.65, so the comparison mostly measured the output tables; after ~4-5 passes both objectives'
    input vectors reach the same quality (gap ~0.24, AUC ~0.90 for both, K = 5 or 15 alike).
    The averaged readout (u + v)/2 keeps a real gap (NS/full 0.62 by the cosine gap, 0.75 by
    AUC at seed 0): NS's context vectors u, trained only against unigram^0.75 noise, combine
    less well with v than the full softmax's densely trained u. That ratio is logged
    (``ns_over_full_uv_quality``, ``ns_over_full_uv_auc_quality``) with the mean cos(u_w, v_w)
    of each model, but not barred: the notes' claim is about word2vec's word vectors.
    Subsampling frequent words (t = 1e-3) was tried and hurts both here: the related classes
    are made of frequent words and the corpus is small.
    """
    from collections import Counter

    from ..data.shakespeare import shakespeare_text
    from ..nn import one_hot_encode
    from ..text import (CBOW, GloVe, HierarchicalSoftmax, NegativeSampler, SkipGram, cbow_windows, cooccurrence_matrix,
                        cosine_similarity, negative_sampling_loss, ppmi, skipgram_pairs, svd_embeddings, word_split)
    torch.manual_seed(run.seed)
    g = run.generator
    text = shakespeare_text("train")[: cfg.train_chars]
    words = word_split(text)
    counts = Counter(words)
    itos = ["<unk>"] + [w for w, _ in counts.most_common(cfg.vocab_size - 1)]
    stoi = {w: i for i, w in enumerate(itos)}
    V = len(itos)
    ids = torch.tensor([stoi.get(w, 0) for w in words])
    freq = torch.bincount(ids, minlength=V).double()
    pairs = skipgram_pairs(ids, cfg.window)
    pairs = pairs[(pairs != 0).all(1)]                                     # (P, 2) centre, context
    ctx, centre = cbow_windows(ids, cfg.window)
    keep = (centre != 0)
    ctx, centre = ctx[keep], centre[keep]                                  # (Q, 2 window), (Q,)
    classes = {k: v.split() for k, v in _WORD_CLASSES.items()}
    classes["speaker name"] = _speaker_names(text, stoi)
    related = _RelatedPairs(classes, stoi, cfg.random_pairs, g)
    steps = max(2, round(cfg.epochs * len(pairs) / cfg.batch_pairs))

    def fit(params, loss_fn, tag, n_steps=steps):
        opt = torch.optim.Adam(params, lr=cfg.lr)
        t0 = time.process_time()
        for step in range(n_steps):
            loss = loss_fn(step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % 50 == 0 or step == n_steps - 1:
                run.log(step=step, **{f"{tag}_loss": loss.item()})
        return (time.process_time() - t0) / n_steps

    def batches(P):
        order = torch.randperm(len(P), generator=g)                        # epochs over a fixed shuffle
        return lambda step: P[order[(torch.arange(cfg.batch_pairs) + step * cfg.batch_pairs) % len(P)]]

    vectors, step_time = {}, {}
    sg = SkipGram(V, cfg.dim, seed=run.seed)
    b = batches(pairs)
    step_time["skipgram_full"] = fit(sg.parameters(), lambda s: sg.loss(*b(s).T), "skipgram_full")
    ns = SkipGram(V, cfg.dim, seed=run.seed)
    sampler = NegativeSampler(freq)                                        # unigram^0.75

    def ns_loss(s):
        p = b(s)
        neg = sampler.sample((len(p), cfg.negatives), generator=g)         # (B, K)
        return negative_sampling_loss(ns.in_embed[p[:, 0]], ns.out_embed[p[:, 1]], ns.out_embed[neg])
    step_time["skipgram_ns"] = fit(ns.parameters(), ns_loss, "skipgram_ns")
    hs_in = nn.Parameter((torch.rand(V, cfg.dim, generator=g) - 0.5) / cfg.dim)
    hs = HierarchicalSoftmax(freq.tolist(), cfg.dim)

    def hs_loss(s):
        p = b(s)
        return -hs.log_prob(hs_in[p[:, 0]], p[:, 1]).mean()
    step_time["skipgram_hs"] = fit([hs_in, *hs.parameters()], hs_loss, "skipgram_hs")
    cb = CBOW(V, cfg.dim, seed=run.seed)
    cbow_order = torch.randperm(len(centre), generator=g)

    def cb_loss(s):
        i = cbow_order[(torch.arange(cfg.batch_pairs) + s * cfg.batch_pairs) % len(centre)]
        return cb.loss(ctx[i], centre[i])
    # CBOW sees every centre word once per epoch (2 window times fewer examples than skip-gram)
    step_time["cbow"] = fit(cb.parameters(), cb_loss, "cbow",
                            max(2, round(cfg.epochs * len(centre) / cfg.batch_pairs)))
    X = cooccurrence_matrix(ids, V, cfg.window + 3)
    X[0], X[:, 0] = 0, 0
    X = X.float()
    gl = GloVe(V, cfg.dim, seed=run.seed)
    nnz = max(1, int((X > 0).sum()))
    step_time["glove"] = fit(gl.parameters(), lambda s: gl.loss(X) / nnz, "glove", cfg.glove_steps)
    E_svd = svd_embeddings(ppmi(X.double()), cfg.dim).float()
    vectors = {"skipgram_full": sg.in_embed.detach(), "skipgram_ns": ns.in_embed.detach(),
               "skipgram_hs": hs_in.detach(), "cbow": cb.in_embed.detach(), "glove": gl.embeddings(),
               "svd_ppmi": E_svd}
    gap = {k: related.gap(E) for k, E in vectors.items()}
    auc = {k: related.auc(E) for k, E in vectors.items()}
    uv_gap = {k: related.gap(m.embeddings()) for k, m in (("skipgram_full", sg), ("skipgram_ns", ns))}
    uv_auc = {k: related.auc(m.embeddings()) for k, m in (("skipgram_full", sg), ("skipgram_ns", ns))}
    self_cos = {k: cosine_similarity(m.in_embed[1:], m.out_embed[1:]).mean().item()
                for k, m in (("skipgram_full", sg), ("skipgram_ns", ns))}
    codes = one_hot_encode(torch.arange(5), 5)
    dists = torch.cdist(codes, codes)[~torch.eye(5, dtype=torch.bool)]
    E = vectors["skipgram_ns"]
    neighbours = {w: [itos[j] for j in (cosine_similarity(E[stoi[w]], E).topk(6).indices.tolist()) if j != stoi[w]][:5]
                  for w in ("thee", "king", "father", "hath") if w in stoi}

    plt = _plt()
    fig, (a, c) = plt.subplots(1, 2, figsize=(13, 4.8))
    shown_gap = {**gap, **{f"{k} (u+v)/2": v for k, v in uv_gap.items()}}
    shown_auc = {**auc, **{f"{k} (u+v)/2": v for k, v in uv_auc.items()}}
    names = list(shown_gap)
    xs = torch.arange(len(names)).float()
    a.bar(xs - 0.2, [shown_gap[k] for k in names], 0.4, label="cos(related) - cos(random)")
    a.bar(xs + 0.2, [2 * shown_auc[k] - 1 for k in names], 0.4, label="2 AUC - 1")
    a.set_xticks(xs.tolist(), names, rotation=30, ha="right", fontsize=7)
    a.legend(fontsize=8)
    a.set_title(f"input vectors (last two: (u+v)/2), {related.num_pairs} related pairs in {len(related.pairs)} classes",
                fontsize=9)
    top = torch.arange(1, min(V, 60))
    U, S, _ = torch.pca_lowrank(E[top], q=2)
    xy = U[:, :2] * S[:2]
    c.scatter(xy[:, 0], xy[:, 1], s=5)
    for i, t in enumerate(top.tolist()):
        c.annotate(itos[t], xy[i].tolist(), fontsize=6)
    c.set_title("skip-gram (negative sampling), 60 most frequent words (PCA)", fontsize=9)
    fig.suptitle("; ".join(f"{w}: {', '.join(n)}" for w, n in neighbours.items()), fontsize=7)
    run.save_figure(fig, "word_embeddings")

    def ratio(x: dict, key="skipgram_ns", ref="skipgram_full", chance=0.0) -> float:
        return (x[key] - chance) / (x[ref] - chance) if x[ref] - chance > 0 else 0.0

    out = {f"{k}_related_minus_random_cos": v for k, v in gap.items()}
    out.update({f"{k}_related_vs_random_auc": v for k, v in auc.items()})
    out.update({f"{k}_step_cpu_s": v for k, v in step_time.items()})
    sg_cbow = gap["skipgram_full"] - gap["cbow"]
    out.update(min_related_minus_random_cos=min(gap.values()),
               ns_over_full_quality=ratio(gap),
               ns_over_full_auc_quality=ratio(auc, chance=0.5),
               ns_over_full_uv_quality=ratio(uv_gap),
               ns_over_full_uv_auc_quality=ratio(uv_auc, chance=0.5),
               skipgram_full_uv_related_minus_random_cos=uv_gap["skipgram_full"],
               skipgram_ns_uv_related_minus_random_cos=uv_gap["skipgram_ns"],
               skipgram_full_cos_u_v_same_word=self_cos["skipgram_full"],
               skipgram_ns_cos_u_v_same_word=self_cos["skipgram_ns"],
               ns_over_full_step_time=step_time["skipgram_ns"] / step_time["skipgram_full"],
               skipgram_minus_cbow_quality=sg_cbow,
               skipgram_cbow_comparison_measured=float(math.isfinite(sg_cbow)),
               onehot_distance_spread=(dists - math.sqrt(2)).abs().max().item(),
               skipgram_params_10k_300=float(sum(p.numel() for p in SkipGram(10_000, 300).parameters())),
               num_related_pairs=float(related.num_pairs), epochs=float(steps * cfg.batch_pairs / len(pairs)))
    return out


# ---------------------------------------------------------------------------------------------
# exp.tnlp.cross_lingual_alignment
# ---------------------------------------------------------------------------------------------
@dataclass
class CrossLingualConfig:
    plays: int = 0                   # how many training plays (0 = all)
    vocab_size: int = 400            # words of each language (the rest is <unk>)
    shared: tuple = (0, 12, 60)      # how many of the most frequent words both languages share
    max_len: int = 20
    d_model: int = 64
    layers: int = 2
    steps: int = 1000
    batch_size: int = 64
    lr: float = 2e-3
    min_count: int = 20              # a word is aligned when it occurs this often in both halves
    eval_lines: int = 3000


_XL_SPECIALS = ("<pad>", "<unk>", "[MASK]", "[CLS]", "[SEP]")


@experiment("tnlp-cross-lingual", chapter="transformers_nlp", exp_id="exp.tnlp.cross_lingual_alignment",
            items=["transformers_nlp.mean_reciprocal_rank", "transformers_nlp.cosine_similarity", "transformers_nlp.bert"],
            bars=[Bar("mrr_over_uniform_baseline", ">", 10.0, "MRR far above the random baseline 1/|V|"),
                  Bar("mrr_over_random_ranking", ">", 3.0, "... and above a random ranking's expected MRR H_n/n"),
                  Bar("mrr_high_minus_low_shared", ">", 0.0, "alignment rises with shared context")],
            quick=dict(plays=2, vocab_size=60, shared=(0, 8), max_len=12, d_model=16, layers=1, steps=3, batch_size=8,
                       min_count=2, eval_lines=200),
            budget="~2 min")
def tnlp_cross_lingual(cfg: CrossLingualConfig, run: Run) -> dict:
    """One small BERT, masked-LM pre-trained on two 'languages' with no parallel text; are their
    words aligned in its representation space?

    Language A is Shakespeare (word level, the ``vocab_size`` most frequent words); language B
    is a word-substitution cipher of it: a random bijection of the word vocabulary onto new
    token ids, so B has A's grammar and statistics but shares no token with it. The lines are
    split at random: half appear only in A, the other half only in B. The amount of shared
    context is the number of anchor words (the ``shared`` most frequent: punctuation, 'the',
    'and', ...) left untranslated, i.e. the same token in both languages (0 = nothing shared but
    the special tokens, positions and the Transformer weights). This is the "fake English"
    setup of K et al. 2020 that probes multilingual BERT's cross-lingual ability (notes 000
    L7.19-L7.20), in miniature.

    Alignment: for every word w never used as an anchor and seen ``min_count`` times in both
    halves, average its last-layer contextual vectors over its occurrences in A, and those of
    cipher(w) in B; rank all B candidates by cosine similarity to w; MRR of the right partner.
    The same is reported for the input (token) embeddings. The syllabus's baseline is 1/|V|
    (|V| = the candidate words); a random ranking's expected MRR, H_|V|/|V| (0.019 for 340
    words), is the stricter reference; both are reported. Measured at seed 0: MRR 0.06 with no
    anchor (already 3x a random ranking: shared weights and positions align a little), 0.16
    with the 12 most frequent tokens shared (punctuation, 'the', 'and', 'i', ...), 0.17 with 60.
    """
    from collections import Counter

    from ..data.shakespeare import shakespeare_plays, shakespeare_speeches
    from ..text import BertConfig, BertForPreTraining, cosine_similarity, mask_tokens, mean_reciprocal_rank, word_split
    g = run.generator
    plays = shakespeare_plays("train")[: cfg.plays or None]
    lines = [word_split(ln) for p in plays for _, t in shakespeare_speeches(p) for ln in t.split("\n")]
    lines = [ln for ln in lines if len(ln) >= 3]
    counts = Counter(w for ln in lines for w in ln)
    words = [w for w, _ in counts.most_common(cfg.vocab_size)]
    N, S = len(words), len(_XL_SPECIALS)
    PAD, UNK, MASK, CLS, SEP = range(S)
    wid = {w: i for i, w in enumerate(words)}
    perm = torch.randperm(len(lines), generator=g).tolist()
    half = len(lines) // 2
    lines_a, lines_b = [lines[i] for i in perm[:half]], [lines[i] for i in perm[half:]]
    cipher = torch.randperm(N, generator=g).tolist()          # word i of A is token cipher[i] of B
    count_a = Counter(w for ln in lines_a for w in ln)
    count_b = Counter(w for ln in lines_b for w in ln)
    test = [i for i in range(max(cfg.shared), N) if min(count_a[words[i]], count_b[words[i]]) >= cfg.min_count]
    expect(len(test) >= 2, "min_count", "a threshold that leaves at least 2 words to align", cfg.min_count)
    V = S + 2 * N

    def token(i: int, lang: int, shared: int) -> int:
        return S + i if lang == 0 or i < shared else S + N + cipher[i]

    def encode(ln: list[str], lang: int, shared: int) -> list[int]:
        body = [UNK if w not in wid else token(wid[w], lang, shared) for w in ln[: cfg.max_len - 2]]
        return [CLS] + body + [SEP]

    def pad(rows):
        T = max(len(r) for r in rows)
        return torch.tensor([r + [PAD] * (T - len(r)) for r in rows])    # (B, T)

    results, examples = {}, {}
    for shared in cfg.shared:
        torch.manual_seed(run.seed)
        data = [encode(ln, 0, shared) for ln in lines_a] + [encode(ln, 1, shared) for ln in lines_b]
        bc = BertConfig(vocab_size=V, hidden_size=cfg.d_model, num_hidden_layers=cfg.layers, num_attention_heads=4,
                        intermediate_size=2 * cfg.d_model, max_position_embeddings=cfg.max_len, hidden_dropout_prob=0.0)
        model = BertForPreTraining(bc)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
        for step in range(cfg.steps):
            ids = pad([data[i] for i in torch.randint(0, len(data), (cfg.batch_size,), generator=g).tolist()])
            special = (ids == CLS) | (ids == SEP) | (ids == PAD)
            inputs, labels = mask_tokens(ids, V, MASK, special, generator=g, random_low=S)
            _, _, loss = model(inputs, None, (ids != PAD).long(), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % 50 == 0 or step == cfg.steps - 1:
                run.log(step=step, **{f"shared{shared}_mlm_loss": loss.item()})
        model.eval()

        def mean_context(lns: list[list[str]], lang: int) -> torch.Tensor:
            total, n = torch.zeros(V, cfg.d_model), torch.zeros(V)
            with torch.no_grad():
                for k in range(0, min(len(lns), cfg.eval_lines), 256):
                    ids = pad([encode(ln, lang, shared) for ln in lns[k:k + 256]])
                    h, _ = model.bert(ids, None, (ids != PAD).long())               # (B, T, d)
                    total.index_add_(0, ids.flatten(), h.reshape(-1, cfg.d_model))
                    n.index_add_(0, ids.flatten(), torch.ones(ids.numel()))
            return total / n.clamp_min(1)[:, None]                                 # (V, d)

        ia = torch.tensor([token(i, 0, 0) for i in test])
        ib = torch.tensor([token(i, 1, 0) for i in test])
        ctx_a, ctx_b = mean_context(lines_a, 0)[ia], mean_context(lines_b, 1)[ib]      # (n, d)
        emb = model.bert.word_embeddings.weight.detach()
        target = torch.arange(len(test))
        sim = cosine_similarity(ctx_a[:, None], ctx_b[None])                            # (n, n)
        results[shared] = {"contextual": mean_reciprocal_rank(scores=sim, target=target),
                           "input": mean_reciprocal_rank(scores=cosine_similarity(emb[ia][:, None], emb[ib][None]),
                                                         target=target)}
        best = sim.argmax(1)
        results[shared]["top1"] = (best == target).double().mean().item()
        examples[shared] = [(words[test[q]], words[test[int(best[q])]]) for q in range(min(len(test), 12))]
        run.log(step=shared, mrr_contextual=results[shared]["contextual"], mrr_input=results[shared]["input"])

    n = len(test)
    uniform = 1.0 / n
    random_mrr = sum(1.0 / k for k in range(1, n + 1)) / n
    low, high = min(cfg.shared), max(cfg.shared)
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw=dict(width_ratios=[3, 2]))
    for kind in ("contextual", "input"):
        a.plot(list(cfg.shared), [results[s][kind] for s in cfg.shared], "o-", label=f"{kind} vectors")
    a.axhline(random_mrr, ls="--", c="gray", label=f"random ranking H_n/n = {random_mrr:.3f}")
    a.axhline(uniform, ls=":", c="k", label=f"1/|V| = {uniform:.4f}")
    a.set_xlabel("anchor words shared by the two languages")
    a.set_ylabel(f"MRR over {n} words")
    a.legend(fontsize=8)
    b.axis("off")
    b.set_title(f"nearest B word by contextual cosine, {high} anchors (x: wrong);\n"
                f"top-1 accuracy {results[high]['top1']:.2f} over {n} words", fontsize=9)
    b.text(0, 1, "\n".join(f"{w:>10s} -> {m}{'' if w == m else '  x'}" for w, m in examples[high]),
           va="top", family="monospace", fontsize=9)
    run.save_figure(fig, "cross_lingual_mrr")
    out = {f"mrr_contextual_shared{s}": r["contextual"] for s, r in results.items()}
    out.update({f"mrr_input_shared{s}": r["input"] for s, r in results.items()})
    out.update({f"top1_contextual_shared{s}": r["top1"] for s, r in results.items()})
    out.update(mrr_over_uniform_baseline=results[high]["contextual"] / uniform,
               mrr_over_random_ranking=results[high]["contextual"] / random_mrr,
               mrr_high_minus_low_shared=results[high]["contextual"] - results[low]["contextual"],
               uniform_baseline=uniform, random_ranking_mrr=random_mrr, num_aligned_words=float(n))
    return out
