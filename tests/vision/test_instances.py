"""Instance masks from the synthetic shapes data: their union is the semantic foreground."""
import pytest
import torch

from deepnotes.data import load
from deepnotes.vision import instance_id_map, instances_to_semantic


@pytest.mark.syllabus("vision.instance_segmentation")
def test_instances_union_equals_semantic():
    ds = load("shapes", split="train", n=20, size=32, seed=0)
    for i in range(len(ds)):
        _, t = ds[i]
        ids = instance_id_map(t["masks"])
        assert torch.equal(ids > 0, t["semantic"] > 0)
        assert torch.equal(instances_to_semantic(t["masks"], t["labels"]), t["semantic"])
        assert int(ids.max()) == len(t["masks"])
    with pytest.raises(ValueError, match="labels"):
        instances_to_semantic(t["masks"], t["labels"][:0])
