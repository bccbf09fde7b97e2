"""N-way K-shot episode sampler with disjoint meta-train / meta-test classes.

Syllabus: adaptation_ssl_meta.episode_sampler. Notes: 003 L13.01-L13.04.

An episode (task) draws n_way classes from the split's class pool, then k_shot support and
q_query query examples per class without overlap, and relabels the classes 0..n_way-1 in the order
drawn. Offline, load_digits (or mnist1d) classes stand in for Omniglot's alphabets:
``split_classes`` puts e.g. digits 0-4 in meta-train and 5-9 in meta-test.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core import expect, syllabus

__all__ = ["Episode", "EpisodeSampler", "split_classes"]


@dataclass
class Episode:
    support_x: torch.Tensor        # (n_way * k_shot, ...)
    support_y: torch.Tensor        # (n_way * k_shot,) in 0..n_way-1
    query_x: torch.Tensor          # (n_way * q_query, ...)
    query_y: torch.Tensor          # (n_way * q_query,)
    classes: torch.Tensor          # (n_way,) original class ids; classes[j] is relabelled j
    support_index: torch.Tensor    # indices into the dataset
    query_index: torch.Tensor


def split_classes(labels: torch.Tensor, meta_train: list[int]) -> tuple[list[int], list[int]]:
    """(meta-train classes, meta-test classes = all others); disjoint by construction."""
    all_cls = sorted(int(c) for c in labels.unique())
    expect(set(meta_train) <= set(all_cls), "meta_train", f"a subset of {all_cls}", meta_train)
    return sorted(meta_train), [c for c in all_cls if c not in meta_train]


@syllabus("adaptation_ssl_meta.episode_sampler")
class EpisodeSampler:
    """Sample episodes from (x, y) using only ``classes``; iterate for ``episodes`` episodes."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, classes: list[int], n_way: int = 5,
                 k_shot: int = 1, q_query: int = 5, episodes: int = 100,
                 generator: torch.Generator | None = None):
        expect(len(x) == len(y), "y", f"{len(x)} labels", len(y))
        expect(isinstance(n_way, int) and 2 <= n_way <= len(classes), "n_way",
               f"an int in [2, {len(classes)}] (number of classes available)", n_way)
        expect(isinstance(k_shot, int) and k_shot >= 1, "k_shot", "an int >= 1", k_shot)
        expect(isinstance(q_query, int) and q_query >= 1, "q_query", "an int >= 1", q_query)
        self.x, self.y = x, y
        self.classes = torch.tensor(sorted(classes))
        self.by_class = {c: (y == c).nonzero().squeeze(1) for c in sorted(classes)}
        smallest = min(len(v) for v in self.by_class.values())
        expect(k_shot + q_query <= smallest, "k_shot", f"k_shot + q_query <= {smallest} (smallest class)",
               k_shot + q_query)
        self.n_way, self.k_shot, self.q_query, self.episodes = n_way, k_shot, q_query, episodes
        self.generator = generator

    def sample(self) -> Episode:
        g = self.generator
        cls = self.classes[torch.randperm(len(self.classes), generator=g)[: self.n_way]]  # (n_way,)
        s_idx, q_idx = [], []
        for c in cls.tolist():
            pool = self.by_class[c]
            pick = pool[torch.randperm(len(pool), generator=g)[: self.k_shot + self.q_query]]
            s_idx.append(pick[: self.k_shot])
            q_idx.append(pick[self.k_shot:])
        s, q = torch.cat(s_idx), torch.cat(q_idx)
        sy = torch.arange(self.n_way).repeat_interleave(self.k_shot)
        qy = torch.arange(self.n_way).repeat_interleave(self.q_query)
        return Episode(self.x[s], sy, self.x[q], qy, cls, s, q)

    def __iter__(self):
        for _ in range(self.episodes):
            yield self.sample()

    def __len__(self) -> int:
        return self.episodes
