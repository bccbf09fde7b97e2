"""Zero-shot classification with a contrastive image-text model, with prompt ensembling.

Syllabus: adaptation_ssl_meta.zero_shot_classification. Notes: 003 L13.37, L13.38.

For each class k embed one or more prompts ('a photo of a {class}', ...): t_k = normalise(mean_p
normalise(g_l(prompt_{k,p}))) (prompt ensembling averages the normalised text embeddings), then
predict argmax_k cos(g_v(x), t_k). No training example of the classes is needed.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..core import expect, syllabus

__all__ = ["zero_shot_classifier", "zero_shot_predict"]


@syllabus("adaptation_ssl_meta.zero_shot_classification")
def zero_shot_classifier(encode_text: Callable[[list[str]], torch.Tensor], classnames: list[str],
                         templates: list[str]) -> torch.Tensor:
    """Class weight matrix (K, E): per class the renormalised mean of its normalised prompt embeddings."""
    expect(len(templates) >= 1 and all("{}" in t for t in templates), "templates",
           "a non-empty list of strings with a '{}' slot", templates)
    rows = []
    for name in classnames:
        e = F.normalize(encode_text([t.format(name) for t in templates]), dim=-1)   # (P, E)
        rows.append(F.normalize(e.mean(0), dim=-1))
    return torch.stack(rows)                                                 # (K, E)


def zero_shot_predict(image_embeddings: torch.Tensor, classifier: torch.Tensor) -> torch.Tensor:
    """argmax_k cos(image, class k): (N, E), (K, E) -> (N,)."""
    return (F.normalize(image_embeddings, dim=-1) @ classifier.T).argmax(1)
