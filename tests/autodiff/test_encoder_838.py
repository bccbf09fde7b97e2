import pytest
import torch

from deepnotes.autodiff import identity_838_task, train_838_encoders


@pytest.mark.syllabus("autodiff.identity_838_task")
def test_task_is_the_eight_one_hot_patterns():
    x, y = identity_838_task()
    assert torch.equal(x, torch.eye(8, dtype=torch.float64)) and torch.equal(x, y)
    with pytest.raises(ValueError, match="n"):
        identity_838_task(1)


@pytest.mark.syllabus("autodiff.identity_838_task")
def test_backprop_finds_a_binary_code_in_most_seeds():
    result = train_838_encoders(seeds=10, steps=3000, lr=5.0, seed=0)
    assert result.reconstructed.all()
    assert result.success.sum() >= 7
    assert result.losses[-1].max() < result.losses[0].min()
