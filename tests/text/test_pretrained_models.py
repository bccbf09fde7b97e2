"""BERT (counts, masking, NSP/SOP), heads and fine-tuning, GPT, ELMo, denoising, GLUE metrics."""
import numpy as np
import pytest
import torch

import deepnotes.text as tx

torch.set_num_threads(1)


def tiny_bert(**kw):
    return tx.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=32, hidden_dropout_prob=0.0, **kw)


@pytest.mark.syllabus("transformers_nlp.bert")
def test_bert_base_parameter_count_and_output_length():
    assert sum(p.numel() for p in tx.BertModel(tx.BertConfig.base(), device="meta").parameters()) == 109_482_240
    torch.manual_seed(0)
    m = tx.BertModel(tiny_bert()).eval()
    ids, seg = tx.pack_pair([7, 8, 9], [10, 11], cls_id=5, sep_id=6)
    assert ids == [5, 7, 8, 9, 6, 10, 11, 6] and seg == [0, 0, 0, 0, 0, 1, 1, 1]
    h, pooled = m(torch.tensor([ids]), torch.tensor([seg]))
    assert h.shape == (1, 8, 16) and pooled.shape == (1, 16)
    with pytest.raises(ValueError, match="input_ids"):
        m(torch.tensor([[50]]))


def _torch_encoder_layers(layers, **kw):
    """torch.nn.TransformerEncoderLayer copies carrying the given layers' weights (same names)."""
    refs = []
    for layer in layers:
        d, h = layer.self_attn.embed_dim, layer.self_attn.num_heads
        ref = torch.nn.TransformerEncoderLayer(d, h, layer.linear1.out_features, dropout=0.0, batch_first=True,
                                               dtype=torch.float64, **kw)
        ref.load_state_dict(layer.state_dict())
        refs.append(ref)
    return refs


@pytest.mark.syllabus("transformers_nlp.bert")
def test_bert_equals_torch_encoder_on_summed_embeddings():
    """H = post-LN GELU Transformer encoder (torch.nn.TransformerEncoderLayer) applied to
    LN(E_tok[w] + E_pos[t] + E_seg[s]); pooled = tanh(W_p h_[CLS] + b_p); padding masked."""
    torch.manual_seed(0)
    m = tx.BertModel(tiny_bert()).double().eval()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))                           # no two LayerNorms alike
    refs = _torch_encoder_layers(m.encoder.layers, activation="gelu", layer_norm_eps=1e-12)
    ids, seg = torch.randint(7, 50, (2, 6)), torch.tensor([[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]])
    att = torch.tensor([[1] * 6, [1] * 4 + [0] * 2])
    x = m.word_embeddings.weight[ids] + m.position_embeddings.weight[:6] + m.token_type_embeddings.weight[seg]
    x = torch.nn.functional.layer_norm(x, (16,), m.embeddings_norm.weight, m.embeddings_norm.bias, 1e-12)
    for ref in refs:
        x = ref(x, src_key_padding_mask=att == 0)
    h, pooled = m(ids, seg, att)
    torch.testing.assert_close(h[0], x[0], rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(h[1, :4], x[1, :4], rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(pooled, torch.tanh(h[:, 0] @ m.pooler.weight.T + m.pooler.bias))


@pytest.mark.syllabus("transformers_nlp.next_sentence_prediction", "transformers_nlp.sentence_order_prediction")
def test_pair_head_reads_cls_and_adds_binary_ce():
    """The NSP/SOP logits come from the pooled [CLS] vector only, and the pre-training loss is
    the MLM cross-entropy plus the binary (2-way) cross-entropy of the pair label."""
    torch.manual_seed(0)
    m = tx.BertForPreTraining(tiny_bert()).eval()
    x = torch.randint(7, 50, (3, 6))
    lab = torch.full_like(x, -100)
    lab[:, 2] = 9
    pair = torch.tensor([1, 0, 1])
    mlm_logits, pair_logits, loss = m(x, mlm_labels=lab, pair_labels=pair)
    _, pooled = m.bert(x)
    torch.testing.assert_close(pair_logits, m.pair_head(pooled))
    F = torch.nn.functional
    torch.testing.assert_close(loss, F.cross_entropy(mlm_logits[:, 2], lab[:, 2]) + F.cross_entropy(pair_logits, pair))


@pytest.mark.syllabus("transformers_nlp.masked_language_modeling")
def test_mlm_rates_and_ignored_positions():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(10, 1000, (100, 1000), generator=g)
    inputs, labels = tx.mask_tokens(ids, 1000, mask_id=4, generator=g, random_low=10)
    sel = labels != -100
    assert abs(sel.double().mean().item() - 0.15) < 0.005
    n = sel.sum().item()
    masked = (inputs[sel] == 4).sum().item() / n
    kept = (inputs[sel] == ids[sel]).sum().item() / n
    assert abs(masked - 0.8) < 0.01 and abs(kept - (0.1 + 0.1 / 990)) < 0.01
    assert torch.equal(inputs[~sel], ids[~sel])
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = True
    _, lab2 = tx.mask_tokens(ids, 1000, 4, special, generator=g)
    assert torch.all(lab2[:, 0] == -100)
    torch.manual_seed(0)
    m = tx.BertForPreTraining(tiny_bert())
    x = torch.randint(7, 50, (2, 6))
    lab = torch.full_like(x, -100)
    lab[0, 2] = 9
    logits, _, loss = m(x, mlm_labels=lab)
    ref = torch.nn.functional.cross_entropy(logits[0, 2:3], torch.tensor([9]))
    torch.testing.assert_close(loss, ref)


@pytest.mark.syllabus("transformers_nlp.next_sentence_prediction")
def test_nsp_pairs_balanced_and_contiguous():
    pairs = tx.next_sentence_pairs(500, 100_000, torch.Generator().manual_seed(0))
    pos = pairs[:, 2] == 1
    assert abs(pos.double().mean().item() - 0.5) < 0.01
    assert torch.all(pairs[pos, 1] == pairs[pos, 0] + 1)
    assert torch.all(pairs[~pos, 1] != pairs[~pos, 0] + 1)


@pytest.mark.syllabus("transformers_nlp.sentence_order_prediction")
def test_sop_pairs_swap_same_segments():
    pairs = tx.sentence_order_pairs(500, 100_000, torch.Generator().manual_seed(0))
    keep = pairs[:, 2] == 1
    assert abs(keep.double().mean().item() - 0.5) < 0.01
    assert torch.all(pairs[keep, 1] == pairs[keep, 0] + 1)
    assert torch.all(pairs[~keep, 0] == pairs[~keep, 1] + 1)              # same two, reversed


@pytest.mark.syllabus("transformers_nlp.sequence_classification_head")
def test_sequence_head_shape_and_attention_path():
    torch.manual_seed(0)
    bert = tiny_bert()
    model = tx.EncoderWithHead(tx.BertModel(bert), tx.SequenceClassificationHead(16, 3)).eval()
    ids = torch.randint(7, 50, (4, 6))
    out = model(ids)
    assert out.shape == (4, 3)
    h = torch.randn(4, 6, 16)                                         # the head reads h_[CLS] only
    head = model.head
    torch.testing.assert_close(head(h), h[:, 0] @ head.linear.weight.T + head.linear.bias)
    emb = model.encoder.word_embeddings
    emb.weight.grad = None
    model(ids)[0].sum().backward()
    assert emb.weight.grad[ids[0, 3]].abs().sum() > 0                    # a non-[CLS] token matters
    ids2 = ids.clone()
    ids2[:, 3] = 8 if ids[0, 3] != 8 else 9
    assert not torch.allclose(model(ids2), out)


@pytest.mark.syllabus("transformers_nlp.token_classification_head")
def test_token_head_length_and_padding_excluded():
    torch.manual_seed(0)
    h = torch.randn(2, 5, 16)
    head = tx.TokenClassificationHead(16, 4)
    logits = head(h)
    assert logits.shape == (2, 5, 4)
    labels = torch.randint(0, 4, (2, 5))
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    loss = tx.token_classification_loss(logits, labels, mask)
    labels2 = labels.clone()
    labels2[0, 3:] = (labels[0, 3:] + 1) % 4
    torch.testing.assert_close(tx.token_classification_loss(logits, labels2, mask), loss)
    keep = mask.bool()
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(logits[keep], labels[keep]))


@pytest.mark.syllabus("transformers_nlp.span_extraction_head")
def test_span_head_params_decoding_and_loss():
    head = tx.SpanExtractionHead(16)
    assert sum(p.numel() for p in head.parameters()) == 32
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        s, e = torch.randn(3, 9, generator=g), torch.randn(3, 9, generator=g)
        span = tx.decode_span(s, e)
        assert torch.all(span[:, 1] >= span[:, 0])
        ls, le = s.log_softmax(-1), e.log_softmax(-1)
        for b in range(3):
            best = max(((i, j) for i in range(9) for j in range(i, 9)), key=lambda ij: ls[b, ij[0]] + le[b, ij[1]])
            assert tuple(span[b].tolist()) == best
    st, en = torch.tensor([1, 2, 3]), torch.tensor([4, 2, 5])
    F = torch.nn.functional
    torch.testing.assert_close(tx.span_loss(s, e, st, en), F.cross_entropy(s, st) + F.cross_entropy(e, en))


@pytest.mark.syllabus("transformers_nlp.pretrain_finetune")
def test_finetune_only_head_is_new_and_freeze():
    torch.manual_seed(0)
    pre = tx.BertModel(tiny_bert())
    ckpt = {k: v.clone() for k, v in pre.state_dict().items()}
    model = tx.EncoderWithHead.from_pretrained(tx.BertModel(tiny_bert()), ckpt, tx.SequenceClassificationHead(16, 2))
    for k, v in model.encoder.state_dict().items():
        assert torch.equal(v, ckpt[k])
    new = [n for n, _ in model.named_parameters() if not n.startswith("encoder.")]
    assert new == ["head.linear.weight", "head.linear.bias"]
    frozen = tx.EncoderWithHead(tx.BertModel(tiny_bert()), tx.SequenceClassificationHead(16, 2), freeze_encoder=True)
    assert all(not p.requires_grad for p in frozen.encoder.parameters())


@pytest.mark.syllabus("transformers_nlp.gpt")
def test_gpt2_small_count_and_causality():
    assert tx.GPT(tx.GPTConfig(), device="meta").num_parameters() == 124_439_808
    torch.manual_seed(0)
    for fast in (False, True):
        m = tx.GPT(tx.GPTConfig(vocab_size=30, block_size=16, n_layer=2, n_head=2, n_embd=16, fast=fast)).eval()
        idx = torch.randint(0, 30, (2, 10))
        idx2 = idx.clone()
        idx2[:, 6:] = (idx[:, 6:] + 1) % 30
        la, lb = m(idx)[0], m(idx2)[0]
        torch.testing.assert_close(la[:, :6], lb[:, :6], rtol=0, atol=1e-6)
        assert not torch.allclose(la[:, 6:], lb[:, 6:])
    out = m.generate(idx[:, :3], 5, temperature=0.8, top_k=5, generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, 8) and torch.equal(out[:, :3], idx[:, :3])
    with pytest.raises(ValueError, match="idx"):
        m(torch.randint(0, 30, (1, 17)))


@pytest.mark.syllabus("transformers_nlp.gpt")
def test_gpt_equals_torch_pre_ln_causal_stack():
    """GPT = learned token + position embeddings, pre-LN GELU blocks (torch's
    TransformerEncoderLayer(norm_first=True) with a causal mask), final LN, logits tied to W_te;
    loss = next-token cross-entropy."""
    torch.manual_seed(0)
    m = tx.GPT(tx.GPTConfig(vocab_size=30, block_size=16, n_layer=2, n_head=2, n_embd=16, fast=False)).double().eval()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))
    refs = []
    for b in m.h:
        ref = torch.nn.TransformerEncoderLayer(16, 2, 64, dropout=0.0, activation="gelu", batch_first=True,
                                               norm_first=True, dtype=torch.float64)
        ref.load_state_dict({"self_attn.in_proj_weight": b.attn.c_attn.weight, "self_attn.in_proj_bias": b.attn.c_attn.bias,
                             "self_attn.out_proj.weight": b.attn.c_proj.weight, "self_attn.out_proj.bias": b.attn.c_proj.bias,
                             "linear1.weight": b.mlp[0].weight, "linear1.bias": b.mlp[0].bias,
                             "linear2.weight": b.mlp[2].weight, "linear2.bias": b.mlp[2].bias,
                             "norm1.weight": b.ln_1.weight, "norm1.bias": b.ln_1.bias,
                             "norm2.weight": b.ln_2.weight, "norm2.bias": b.ln_2.bias})
        refs.append(ref)
    idx = torch.randint(0, 30, (2, 9))
    x = m.wte.weight[idx] + m.wpe.weight[:9]
    mask = torch.nn.Transformer.generate_square_subsequent_mask(9, dtype=torch.float64)
    for ref in refs:
        x = ref(x, src_mask=mask, is_causal=True)
    ref_logits = torch.nn.functional.layer_norm(x, (16,), m.ln_f.weight, m.ln_f.bias) @ m.wte.weight.T
    logits, loss = m(idx[:, :-1], idx[:, 1:])
    full, _ = m(idx)
    torch.testing.assert_close(full, ref_logits, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(ref_logits[:, :-1].reshape(-1, 30),
                                                                       idx[:, 1:].reshape(-1)))


@pytest.mark.syllabus("transformers_nlp.elmo")
def test_elmo_mix_weights_and_contextual_vectors():
    torch.manual_seed(0)
    bilm = tx.BiLM(5, 8, 8, num_layers=2)
    mix = tx.ScalarMix(3)
    with torch.no_grad():
        mix.w.copy_(torch.tensor([0.3, -1.0, 2.0]))
    assert mix.weights.sum().item() == pytest.approx(1.0)
    fish = torch.tensor([[3, 3, 3]])                                     # 'Fish fish fish'
    vecs = mix(bilm.layers(fish))[0]                                     # (3, 16)
    assert not torch.allclose(vecs[0], vecs[1]) and not torch.allclose(vecs[1], vecs[2])
    torch.testing.assert_close(bilm.layers(fish)[0][0, 0], bilm.layers(fish)[0][0, 1])  # layer 0 is context-free
    loss = bilm.lm_loss(torch.randint(0, 5, (2, 6)))
    assert loss.item() == pytest.approx(np.log(5), rel=0.2)


@pytest.mark.syllabus("transformers_nlp.elmo")
def test_elmo_directions_and_mix_formula():
    """The forward half of every layer at t sees only w_<=t and the backward half only w_>=t (so
    neither LM can read the word it predicts); the mix is gamma * sum_l softmax(w)_l h_l."""
    torch.manual_seed(0)
    bilm = tx.BiLM(7, 8, 8, num_layers=2)
    ids = torch.randint(0, 7, (1, 8))
    t = 4
    later, earlier = ids.clone(), ids.clone()
    later[0, t + 1:] = (ids[0, t + 1:] + 1) % 7
    earlier[0, :t] = (ids[0, :t] + 1) % 7
    for l, (h, hl, he) in enumerate(zip(bilm.layers(ids), bilm.layers(later), bilm.layers(earlier))):
        torch.testing.assert_close(h[0, :t + 1, :8], hl[0, :t + 1, :8])   # forward: blind to the future
        torch.testing.assert_close(h[0, t:, 8:], he[0, t:, 8:])           # backward: blind to the past
        if l > 0:
            assert not torch.allclose(h[0, t + 1:, :8], hl[0, t + 1:, :8])
            assert not torch.allclose(h[0, :t, 8:], he[0, :t, 8:])
    mix = tx.ScalarMix(3)
    with torch.no_grad():
        mix.w.copy_(torch.tensor([0.3, -1.0, 2.0])); mix.gamma.fill_(1.7)
    layers = bilm.layers(ids)
    e = torch.exp(torch.tensor([0.3, -1.0, 2.0]))
    torch.testing.assert_close(mix(layers), 1.7 * sum(e[l] / e.sum() * layers[l] for l in range(3)))


@pytest.mark.syllabus("transformers_nlp.denoising_seq2seq_pretraining")
def test_denoising_corruptions():
    g = torch.Generator().manual_seed(0)
    doc = list(range(40))
    kept, n_del = tx.token_deletion(doc, 0.3, g)
    assert len(kept) == len(doc) - n_del and n_del > 0
    assert kept == [t for t in doc if t in set(kept)]                    # order kept
    sents = [[1, 2], [3], [4, 5, 6], [7]]
    perm = tx.sentence_permutation(sents, g)
    assert sorted(map(tuple, perm)) == sorted(map(tuple, sents))
    rot, k = tx.document_rotation(doc, g)
    assert rot == doc[k:] + doc[:k]
    out, spans = tx.span_infilling(doc, "M", 0.3, generator=g)
    assert out.count("M") == len(spans)
    assert len(out) == len(doc) - sum(l for _, l in spans) + len(spans)
    rebuilt, it = [], iter(spans)
    pos = 0
    for tok in out:                                                       # each [MASK] = exactly one span
        if tok == "M":
            s, l = next(it)
            assert s == pos
            rebuilt += doc[s:s + l]
            pos += l
        else:
            rebuilt.append(tok)
            pos += 1
    assert rebuilt == doc
    masked = tx.token_masking(doc, "M", 0.5, g)
    assert len(masked) == len(doc) and all(m in ("M", d) for m, d in zip(masked, doc))


@pytest.mark.syllabus("transformers_nlp.glue_tasks")
def test_glue_registry_and_metrics_equal_sklearn_scipy():
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
    assert len(tx.GLUE_TASKS) == 9 and all(t.metrics for t in tx.GLUE_TASKS.values())
    assert tx.GLUE_TASKS["cola"].metrics == ("matthews_corrcoef",)
    g = torch.Generator().manual_seed(0)
    for K in (2, 3):
        y, p = torch.randint(0, K, (200,), generator=g), torch.randint(0, K, (200,), generator=g)
        p[:120] = y[:120]
        assert tx.matthews_corrcoef(y, p) == pytest.approx(matthews_corrcoef(y.numpy(), p.numpy()))
    y, p = torch.randint(0, 2, (100,), generator=g), torch.randint(0, 2, (100,), generator=g)
    assert tx.glue_score("mrpc", y, p) == pytest.approx({"f1": f1_score(y, p), "accuracy": accuracy_score(y, p)})
    a, b = torch.randn(50, generator=g), torch.randint(0, 5, (50,), generator=g).double()
    s = tx.glue_score("stsb", a, b)
    assert s["pearson"] == pytest.approx(pearsonr(a, b)[0]) and s["spearman"] == pytest.approx(spearmanr(a, b)[0])
    with pytest.raises(KeyError, match="GLUE task"):
        tx.glue_score("squad", y, p)
