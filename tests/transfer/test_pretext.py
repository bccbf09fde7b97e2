import pytest
import torch
from torch import nn

from deepnotes.transfer import (TwoTowerCorrespondence, correspondence_pairs, jigsaw_permutations,
                                jigsaw_pretext_batch, jigsaw_unshuffle, moving_shape_clips,
                                rotation_pretext_batch, temporal_order_batch, to_tiles)


@pytest.mark.syllabus("adaptation_ssl_meta.pretext_rotation")
def test_rotation_labels_match_applied_rotation():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 1, 6, 6, generator=g)
    xr, k = rotation_pretext_batch(x, generator=g)
    assert set(k.tolist()) == {0, 1, 2, 3}
    for i in range(len(x)):
        # independent: k quarter turns counter-clockwise = transpose then flip rows, k times (numpy)
        import numpy as np
        assert np.array_equal(xr[i, 0].numpy(), np.rot90(x[i, 0].numpy(), int(k[i])))
    with pytest.raises(ValueError, match="x"):
        rotation_pretext_batch(torch.rand(2, 1, 4, 5))


@pytest.mark.syllabus("adaptation_ssl_meta.pretext_jigsaw")
def test_jigsaw_unshuffle_reconstructs_and_perms_unique():
    perms = jigsaw_permutations(2)
    assert perms.shape == (24, 4) and len({tuple(p) for p in perms.tolist()}) == 24
    p9 = jigsaw_permutations(3, count=30, generator=torch.Generator().manual_seed(0))
    assert len({tuple(p) for p in p9.tolist()}) == 30 and all(sorted(p) == list(range(9)) for p in p9.tolist())
    g = torch.Generator().manual_seed(1)
    x = torch.rand(10, 1, 8, 8, generator=g)
    xs, idx = jigsaw_pretext_batch(x, perms, generator=g)
    # tile i of the shuffled image is tile perms[idx][i] of the original (hand-sliced)
    for n in range(10):
        for pos in range(4):
            src = int(perms[idx[n], pos])
            r, c = divmod(pos, 2)
            sr, sc = divmod(src, 2)
            assert torch.equal(xs[n, :, 4 * r:4 * r + 4, 4 * c:4 * c + 4], x[n, :, 4 * sr:4 * sr + 4, 4 * sc:4 * sc + 4])
    assert torch.equal(jigsaw_unshuffle(xs, perms, idx), x)
    wrong = (idx + 1) % 24
    assert not torch.equal(jigsaw_unshuffle(xs, perms, wrong), x)
    with pytest.raises(ValueError, match="x"):
        to_tiles(torch.rand(1, 1, 7, 8), 2)


@pytest.mark.syllabus("adaptation_ssl_meta.pretext_temporal_order")
def test_temporal_order_labels_balanced_and_correct():
    g = torch.Generator().manual_seed(0)
    clips = torch.arange(30 * 6, dtype=torch.float32).reshape(30, 6, 1, 1, 1)   # frame value encodes time
    trip, lab = temporal_order_batch(clips, generator=g)
    assert lab.sum() == 15 and trip.shape == (30, 3, 1, 1, 1)
    t = trip.flatten(1)                                                           # (N, 3)
    increasing = (t[:, 1] > t[:, 0]) & (t[:, 2] > t[:, 1])
    assert torch.equal(increasing.long(), lab)
    v = moving_shape_clips(4, frames=5, size=12, generator=g)
    assert v.shape == (4, 5, 1, 12, 12)
    assert ((v > 0.5).flatten(2).sum(-1) == 9).all()        # a 3x3 square in every frame


@pytest.mark.syllabus("adaptation_ssl_meta.pretext_av_correspondence")
def test_correspondence_pairs_balanced_and_labelled_by_class():
    g = torch.Generator().manual_seed(0)
    la, lb = torch.randint(5, (41,), generator=g), torch.randint(5, (60,), generator=g)
    ia, ib, lab = correspondence_pairs(la, lb, generator=g)
    assert lab.sum() == 21
    assert torch.equal((la[ia] == lb[ib]).long(), lab)
    m = TwoTowerCorrespondence(nn.Linear(3, 4), nn.Linear(7, 4), dim=4)
    assert m(torch.rand(5, 3), torch.rand(5, 7)).shape == (5,)
    with pytest.raises(ValueError, match="labels_b"):
        correspondence_pairs(la, torch.zeros(5, dtype=torch.long))
