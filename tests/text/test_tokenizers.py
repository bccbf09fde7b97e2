"""Tokenizers: char round trip on Shakespeare, <unk>, special ids, BPE toy merges, WordPiece."""
import pytest
import torch

import deepnotes.text as tx

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def shakespeare():
    from deepnotes.data.shakespeare import shakespeare_text
    return shakespeare_text("test")


@pytest.mark.syllabus("sequences.vocabulary_tokenization")
def test_char_round_trip_on_shakespeare(shakespeare):
    tok = tx.CharTokenizer().fit(shakespeare)
    ids = tok.encode(shakespeare)
    assert ids.dtype == torch.long and len(ids) == len(shakespeare)
    assert tok.decode(ids) == shakespeare


@pytest.mark.syllabus("sequences.vocabulary_tokenization")
def test_word_unk_and_stable_special_ids():
    tok = tx.WordTokenizer().fit("to be or not to be , that is the question")
    ids = tok.encode("to be a zebra", add_bos_eos=True)
    assert tok.vocab.symbols(ids.tolist()) == ["[BOS]", "to", "be", "<unk>", "<unk>", "[EOS]"]
    v2 = tx.WordTokenizer().fit("entirely different words here").vocab
    for i, s in enumerate(tx.SPECIAL_TOKENS):
        assert tok.vocab[s] == i == v2[s]
    assert tok.vocab.pad_id == 0 and tok.vocab.unk_id == 1
    assert tok.vocab["zebra"] == tok.vocab.unk_id and tok.vocab["question"] != tok.vocab.unk_id
    rare = tx.WordTokenizer().fit("be be be or", min_count=2)       # words below min_count are unknown
    assert rare.encode("be or").tolist() == [rare.vocab["be"], rare.vocab.unk_id]
    with pytest.raises(ValueError, match="ids"):
        tok.decode([10_000])


@pytest.mark.syllabus("transformers_nlp.bpe")
def test_bpe_sennrich_toy_merges_and_tokenize():
    merges = tx.learn_bpe({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 5)
    assert merges == [("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w")]
    bpe = tx.BPETokenizer(merges)
    assert bpe.tokenize_word("lowest") == ("low", "est</w>")
    assert bpe.detokenize(bpe.tokenize("newest lowest")) == "newest lowest"


@pytest.mark.syllabus("transformers_nlp.bpe", "transformers_nlp.wordpiece")
def test_bpe_and_wordpiece_trained_on_shakespeare(shakespeare):
    text = shakespeare[:20000]
    bpe = tx.BPETokenizer().fit(text, 200)
    toks = bpe.tokenize(text)
    assert bpe.detokenize(toks) == " ".join(tx.word_split(text))
    assert len(toks) < sum(len(w) + 1 for w in tx.word_split(text))   # merges compress the text
    wp = tx.WordPieceTokenizer().fit(text, 300)
    pieces = wp.tokenize(text)
    assert "[UNK]" not in pieces                                       # characters are all in the vocab
    rebuilt = []
    for p in pieces:
        if p.startswith("##"):
            rebuilt[-1] += p[2:]
        else:
            rebuilt.append(p)
    assert rebuilt == tx.word_split(text)


@pytest.mark.syllabus("transformers_nlp.wordpiece")
def test_wordpiece_longest_match_first():
    vocab = {"walk", "##ing", "##s"}
    assert tx.wordpiece_tokenize("walking", vocab) == ["walk", "##ing"]
    assert tx.wordpiece_tokenize("walks", vocab) == ["walk", "##s"]
    assert tx.wordpiece_tokenize("talking", vocab) == ["[UNK]"]
    assert tx.wordpiece_tokenize("unaffable", {"un", "una", "##aff", "##able", "##ffable"}) == ["una", "##ffable"]


@pytest.mark.syllabus("transformers_nlp.wordpiece")
def test_wordpiece_training_scores_pairs_by_likelihood_not_frequency():
    """WordPiece merges the pair maximising count(ab) / (count(a) count(b)); on the Hugging Face
    course corpus the first merge is ('##g', '##s') although ('##u', '##g') is the most frequent."""
    counts = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
    alphabet = {"h", "p", "b", "##u", "##g", "##n", "##s"}
    assert tx.learn_wordpiece(counts, len(alphabet)) == alphabet
    assert tx.learn_wordpiece(counts, len(alphabet) + 1) == alphabet | {"##gs"}


@pytest.mark.syllabus("transformers_nlp.bpe")
def test_bpe_applies_merges_in_learned_order():
    """Merges are applied earliest-learned first, whatever their position in the word."""
    assert tx.BPETokenizer([("b", "c"), ("a", "b")]).tokenize_word("abc") == ("a", "bc", "</w>")
    assert tx.BPETokenizer([("a", "b"), ("b", "c")]).tokenize_word("abc") == ("ab", "c", "</w>")
    assert tx.BPETokenizer([("c", "</w>"), ("b", "c</w>"), ("a", "bc</w>")]).tokenize_word("abc") == ("abc</w>",)
