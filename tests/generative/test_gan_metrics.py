import math

import numpy as np
import pytest
import scipy.linalg
import torch

from deepnotes.data.toy2d import ring8
from deepnotes.generative import (class_entropy, fid_from_features, frechet_distance, inception_score,
                                  mode_coverage, nearest_neighbor_distance)


def _scipy_fid(m1, s1, m2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


@pytest.mark.syllabus("generative.fid")
def test_fid_against_scipy_sqrtm_and_closed_form():
    rng = np.random.default_rng(0)
    for d in (2, 5):
        a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
        s1, s2 = a @ a.T + 0.1 * np.eye(d), b @ b.T + 0.1 * np.eye(d)
        m1, m2 = rng.normal(size=d), rng.normal(size=d)
        got = frechet_distance(*(torch.tensor(t) for t in (m1, s1, m2, s2))).item()
        assert abs(got - _scipy_fid(m1, s1, m2, s2)) < 1e-8 * max(1, abs(got))
    # diagonal Gaussians: closed form sum (mu diff)^2 + (sigma1 - sigma2)^2
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    got = frechet_distance(torch.zeros(3), torch.tensor(np.diag(v1)), torch.ones(3), torch.tensor(np.diag(v2)))
    assert abs(got.item() - (3 + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum())) < 1e-10
    x = torch.randn(300, 4, generator=torch.Generator().manual_seed(0))
    assert abs(fid_from_features(x, x).item()) < 1e-6
    with pytest.raises(ValueError, match="sigma2"):
        frechet_distance(torch.zeros(2), torch.eye(2), torch.zeros(2), torch.eye(3))


@pytest.mark.syllabus("generative.inception_score")
def test_inception_score_extremes():
    same = torch.softmax(torch.randn(1, 10), 1).expand(50, 10)
    assert abs(inception_score(same).item() - 1) < 1e-9
    onehot = torch.eye(10).repeat(5, 1)
    assert abs(inception_score(onehot).item() - 10) < 1e-6
    assert abs(class_entropy(onehot).item() - math.log(10)) < 1e-9
    with pytest.raises(ValueError, match="probs"):
        inception_score(torch.ones(3))


@pytest.mark.syllabus("generative.mode_collapse_metrics")
def test_mode_coverage_on_ring():
    mix = ring8()
    x, _ = mix.sample(4000, torch.Generator().manual_seed(0))
    out = mode_coverage(x, mix.means, mix.std)
    assert out["modes_covered"] == 8 and out["high_quality"] >= 0.95
    one = mix.means[3].float() + mix.std * torch.randn(500, 2, generator=torch.Generator().manual_seed(1))
    assert mode_coverage(one, mix.means, mix.std)["modes_covered"] == 1
    assert mode_coverage(torch.zeros(100, 2), mix.means, mix.std)["high_quality"] == 0.0


@pytest.mark.syllabus("generative.memorization_check")
def test_memory_generator_zero_nn_distance_and_zero_fid():
    g = torch.Generator().manual_seed(0)
    train = torch.rand(200, 64, generator=g)
    copies = train[torch.randperm(200, generator=g)[:100]]
    assert nearest_neighbor_distance(copies, train).max().item() == 0
    flipped = copies.view(-1, 8, 8).flip(-1).reshape(100, 64)
    assert nearest_neighbor_distance(flipped, train).min().item() > 0
    assert nearest_neighbor_distance(flipped, train, flip_shape=(8, 8)).max().item() == 0
    assert abs(fid_from_features(train, train[torch.randperm(200, generator=g)]).item()) < 1e-6
    fresh = torch.rand(50, 64, generator=g)
    ref = torch.cdist(fresh.double(), train.double()).min(1).values
    assert torch.allclose(nearest_neighbor_distance(fresh, train), ref)
