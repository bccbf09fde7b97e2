"""Issue 4's bad-input list for attribution methods: a target outside the model's outputs and images of
the wrong rank raise ValueError naming the argument, what was expected and what was given."""
import pytest
import torch
from torch import nn

from deepnotes.interpret import (deconvnet, deep_dream, gram_matrix, guided_backprop, integrated_gradients,
                                 occlusion, saliency, smoothgrad)


@pytest.mark.syllabus("interpretability.saliency_map", "interpretability.smoothgrad",
                      "interpretability.integrated_gradients", "interpretability.occlusion",
                      "interpretability.guided_backprop", "interpretability.deconvnet")
def test_target_out_of_range():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = torch.randn(2, 3)
    for fn in (saliency, smoothgrad, integrated_gradients, occlusion, guided_backprop, deconvnet):
        with pytest.raises(ValueError, match=r"target: expected an index in \[0, 2\), got 5"):
            fn(net, x, 5)


@pytest.mark.syllabus("interpretability.deep_dream", "interpretability.gram_matrix")
def test_images_of_the_wrong_rank():
    with pytest.raises(ValueError, match=r"image: expected a batch of shape \(B, C, H, W\), got \(3, 8, 8\)"):
        deep_dream(nn.Identity(), torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match=r"features: expected shape \(B, C, H, W\) or \(C, H, W\), got \(4, 4\)"):
        gram_matrix(torch.randn(4, 4))
