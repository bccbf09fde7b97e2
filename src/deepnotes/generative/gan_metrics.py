"""Sample-quality metrics for generators: FID, Inception Score, mode coverage, memorisation.

Syllabus: generative.fid, generative.inception_score, generative.mode_collapse_metrics,
generative.memorization_check. Notes: 000 L6.27-L6.33; 001 S16.11; 003 L11G.16.

    FID = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^{1/2})   on features of a fixed network
          (offline: the penultimate layer of a digits classifier instead of Inception)
          Tr((S_r S_g)^{1/2}) = sum sqrt(eig(S_r^{1/2} S_g S_r^{1/2})), the PSD form, in float64.
    IS  = exp(E_x KL(p(y|x) || p(y))),  p(y) = E_x p(y|x)    (1 .. C)
    modes covered: mixture components with >= 1% of samples within 3 sigma; high-quality fraction =
          share of samples within 3 sigma of some centre.  class entropy = H(mean p(y|x)).
    memorisation: distance from each generated sample to its nearest training example
          (optionally also against horizontally flipped training images).
FID is checked against scipy.linalg.sqrtm and the Gaussian closed form.
"""
from __future__ import annotations

import torch

from ..core import expect, syllabus

__all__ = ["frechet_distance", "fid_from_features", "inception_score", "class_entropy",
           "mode_coverage", "nearest_neighbor_distance"]


def _psd_sqrt(a: torch.Tensor) -> torch.Tensor:
    w, v = torch.linalg.eigh(a)
    return (v * w.clamp_min(0).sqrt()) @ v.mT


@syllabus("generative.fid")
def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> torch.Tensor:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (float64 scalar)."""
    expect(mu1.shape == mu2.shape and mu1.ndim == 1, "mu2", f"shape {tuple(mu1.shape)}", tuple(mu2.shape))
    d = mu1.shape[0]
    for name, s in (("sigma1", sigma1), ("sigma2", sigma2)):
        expect(s.shape == (d, d), name, f"a ({d}, {d}) matrix", tuple(s.shape))
    mu1, mu2, s1, s2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    r = _psd_sqrt(s1)
    tr_cross = torch.linalg.eigvalsh(r @ s2 @ r).clamp_min(0).sqrt().sum()
    return ((mu1 - mu2) ** 2).sum() + s1.trace() + s2.trace() - 2 * tr_cross


@syllabus("generative.fid")
def fid_from_features(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """FID between two feature sets (N, d), (M, d) using their means and covariances."""
    expect(real.ndim == 2 and fake.ndim == 2 and real.shape[1] == fake.shape[1], "fake",
           f"an (M, {real.shape[-1]}) feature matrix", tuple(fake.shape))
    r, f = real.double(), fake.double()
    return frechet_distance(r.mean(0), torch.cov(r.T).reshape(r.shape[1], -1),
                            f.mean(0), torch.cov(f.T).reshape(f.shape[1], -1))


@syllabus("generative.inception_score")
def inception_score(probs: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """IS from class probabilities p(y|x) (N, C)."""
    expect(probs.ndim == 2, "probs", "an (N, C) probability matrix", tuple(probs.shape))
    p = probs.double()
    py = p.mean(0, keepdim=True)                                            # (1, C)
    kl = (p * ((p + eps).log() - (py + eps).log())).sum(1)                  # (N,)
    return kl.mean().exp()


@syllabus("generative.mode_collapse_metrics")
def class_entropy(probs: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """H(mean_x p(y|x)) in nats: diversity of the generated classes (ln C when balanced)."""
    py = probs.double().mean(0)
    return -(py * (py + eps).log()).sum()


@syllabus("generative.mode_collapse_metrics")
def mode_coverage(samples: torch.Tensor, centers: torch.Tensor, std: float, min_frac: float = 0.01,
                  n_std: float = 3.0) -> dict:
    """On a known mixture: modes with >= ``min_frac`` of samples within n_std*std, and the
    fraction of high-quality samples (within n_std*std of any centre). Also the per-mode counts."""
    expect(samples.ndim == 2 and samples.shape[1] == centers.shape[1], "samples",
           f"an (N, {centers.shape[1]}) tensor", tuple(samples.shape))
    d = torch.cdist(samples.double(), centers.double())                     # (N, K)
    dist, idx = d.min(1)
    good = dist <= n_std * std                                              # (N,)
    counts = torch.bincount(idx[good], minlength=len(centers))              # (K,)
    covered = int((counts >= min_frac * len(samples)).sum())
    return {"modes_covered": covered, "high_quality": float(good.double().mean()), "counts": counts}


@syllabus("generative.memorization_check")
def nearest_neighbor_distance(samples: torch.Tensor, train: torch.Tensor,
                              flip_shape: tuple[int, int] | None = None) -> torch.Tensor:
    """Euclidean distance (N,) from each sample to its nearest training example. With
    ``flip_shape=(H, W)`` the search also includes the horizontally flipped training images."""
    expect(samples.ndim == 2 and train.ndim == 2 and samples.shape[1] == train.shape[1], "train",
           f"an (M, {samples.shape[-1]}) matrix", tuple(train.shape))
    bank = train
    if flip_shape is not None:
        h, w = flip_shape
        expect(h * w == train.shape[1], "flip_shape", f"H*W = {train.shape[1]}", flip_shape)
        bank = torch.cat([train, train.view(-1, h, w).flip(-1).reshape(len(train), -1)])
    return torch.cdist(samples.double(), bank.double()).min(1).values
