import pytest
import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from deepnotes.autodiff import freeze, frozen, params_to_vector, stop_gradient, unflatten_vector, unfreeze, vector_to_params
from deepnotes.optim import SGD, Adam


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))


@pytest.mark.syllabus("autodiff.param_flatten")
def test_flatten_equals_torch_and_round_trip_is_exact():
    model = _model()
    theta = params_to_vector(model.parameters())
    assert torch.equal(theta, parameters_to_vector(model.parameters()))
    new = torch.randn_like(theta)
    vector_to_params(new, model.parameters())
    assert torch.equal(params_to_vector(model.parameters()), new)
    other = _model()
    vector_to_parameters(new, other.parameters())
    for p, q in zip(model.parameters(), other.parameters()):
        assert torch.equal(p, q)
    views = unflatten_vector(new, list(model.parameters()))
    assert [v.shape for v in views] == [p.shape for p in model.parameters()]
    with pytest.raises(ValueError, match="vec"):
        unflatten_vector(new[:-1], list(model.parameters()))


@pytest.mark.syllabus("autodiff.parameter_freezing")
@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_frozen_layer_is_bit_identical_after_a_step(opt_cls):
    model = _model()
    freeze(model[0])
    before = [p.clone() for p in model[0].parameters()]
    opt = opt_cls(model.parameters(), lr=0.1)
    x = torch.randn(8, 4)
    model(x).pow(2).sum().backward()
    opt.step()
    for p, b in zip(model[0].parameters(), before):
        assert p.grad is None and torch.equal(p, b)
    assert model[2].weight.grad is not None
    unfreeze(model[0])
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.syllabus("autodiff.parameter_freezing")
def test_stop_gradient_contributes_nothing_and_frozen_restores():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 3 + stop_gradient(x) ** 2 * 100).sum().backward()
    assert torch.equal(x.grad, torch.tensor([3.0, 3.0]))
    model = _model()
    model[2].bias.requires_grad_(False)
    with frozen(model):
        assert not any(p.requires_grad for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()] == [True, True, True, False]
    with pytest.raises(TypeError, match="module"):
        freeze(torch.zeros(2))
