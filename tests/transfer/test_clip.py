import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from deepnotes.transfer import (CAPTION_COLOURS, CAPTION_SHAPES, CLIP, BagOfWordsTextEncoder, clip_loss,
                                make_caption_data, tokenize_captions, zero_shot_classifier, zero_shot_predict)


@pytest.mark.syllabus("adaptation_ssl_meta.clip")
def test_clip_loss_symmetric_cross_entropy_by_hand():
    torch.manual_seed(0)
    L = torch.randn(4, 4, dtype=torch.float64)
    rows = -sum(math.log(math.exp(L[i, i]) / sum(math.exp(L[i, j]) for j in range(4))) for i in range(4)) / 4
    cols = -sum(math.log(math.exp(L[i, i]) / sum(math.exp(L[j, i]) for j in range(4))) for i in range(4)) / 4
    assert clip_loss(L).item() == pytest.approx(0.5 * (rows + cols), abs=1e-12)
    with pytest.raises(ValueError, match="logits"):
        clip_loss(torch.zeros(3, 4))


@pytest.mark.syllabus("adaptation_ssl_meta.clip")
def test_clip_logits_are_scaled_cosines():
    torch.manual_seed(0)
    m = CLIP(nn.Flatten(), BagOfWordsTextEncoder(30, 16), image_dim=12, text_dim=16, embed_dim=8)
    assert m.logit_scale.item() == pytest.approx(math.log(1 / 0.07))
    img, tok = torch.randn(3, 3, 2, 2), torch.randint(1, 30, (3, 8))
    logits = m(img, tok)
    i = m.image_projection(img.flatten(1)); t = m.text_projection(m.text_encoder(tok))
    ref = (1 / 0.07) * F.cosine_similarity(i[:, None], t[None], dim=-1)
    torch.testing.assert_close(logits, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.syllabus("adaptation_ssl_meta.zero_shot_classification")
def test_prompt_ensemble_averages_normalised_embeddings():
    torch.manual_seed(0)
    table = {}
    def enc(texts):
        return torch.stack([table.setdefault(t, torch.randn(5) * (1 + len(t))) for t in texts])
    W = zero_shot_classifier(enc, ["cat", "dog"], ["a {}", "the {}!"])
    for k, name in enumerate(["cat", "dog"]):
        e = F.normalize(table[f"a {name}"], dim=0) + F.normalize(table[f"the {name}!"], dim=0)
        torch.testing.assert_close(W[k], e / e.norm())
    img = torch.stack([W[1] * 3, W[0] * 0.5])
    assert zero_shot_predict(img, W).tolist() == [1, 0]
    with pytest.raises(ValueError, match="templates"):
        zero_shot_classifier(enc, ["cat"], ["no slot"])


@pytest.mark.syllabus("adaptation_ssl_meta.synthetic_caption_data")
def test_captions_match_rendered_images_and_held_out_combos():
    g = torch.Generator().manual_seed(0)
    held = (("red", "circle"), ("blue", "triangle"))
    d = make_caption_data(200, held_out=held, generator=g)
    colours = list(CAPTION_COLOURS)
    for i in range(200):
        c, s, side = d["captions"][i].split()[1], d["captions"][i].split()[2], d["captions"][i].split()[-1]
        assert (c, s) not in held
        assert colours[int(d["colour"][i])] == c and CAPTION_SHAPES[int(d["shape"][i])] == s
        img = d["images"][i]                                            # (3, H, W)
        ref = torch.tensor(CAPTION_COLOURS[c])[:, None, None]
        on = ((img - ref).abs().max(0).values < 0.01)                     # pixels exactly of the caption's colour
        assert on.sum() > 5
        cols = on.nonzero()[:, 1].float().mean()
        assert (cols < 8) == (side == "left")                            # rendered on the captioned side
    z = make_caption_data(50, held_out=held, split="zero_shot", generator=g)
    assert all(tuple(cap.split()[1:3]) in held for cap in z["captions"])
    tok = tokenize_captions(d["captions"][:2])
    assert tok.shape == (2, 8) and (tok[:, 6:] == 0).all()
    with pytest.raises(ValueError, match="captions"):
        tokenize_captions(["a purple blob"])
    with pytest.raises(ValueError, match="held_out"):
        make_caption_data(2, held_out=(("pink", "circle"),))
