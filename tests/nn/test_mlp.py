"""MLP: scalar form = matrix form, collapse of identity activations, digits accuracy."""
import pytest
import torch
from sklearn.datasets import load_digits, make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from deepnotes.nn import MLP, collapse_linear, mlp_scalar_form, sigmoid, relu


@pytest.mark.syllabus("training.mlp")
@pytest.mark.parametrize("act,fn", [("sigmoid", sigmoid), ("relu", relu)])
def test_scalar_form_equals_matrix_form(act, fn):
    torch.manual_seed(0)
    net = MLP(4, [6], 3, activation=act).double()
    x = torch.randn(5, 4, dtype=torch.float64)
    y = net(x)
    W, bh = net.layers[0].weight, net.layers[0].bias
    c, b = net.head.weight, net.head.bias
    with torch.no_grad():
        for n in range(5):
            torch.testing.assert_close(mlp_scalar_form(x[n], W, bh, c, b, fn), y[n], atol=1e-12, rtol=0)
        single = mlp_scalar_form(x[0], W, bh, c[0], b[0], fn)       # one output: y = b + c^T phi(.)
        torch.testing.assert_close(single, y[0, 0], atol=1e-12, rtol=0)


@pytest.mark.syllabus("training.mlp")
def test_mlp_structure_and_torch_reference():
    torch.manual_seed(0)
    net = MLP(8, [16, 16], 3, activation="tanh")
    ref = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                              torch.nn.Tanh(), torch.nn.Linear(16, 3))
    with torch.no_grad():
        for r, o in zip([ref[0], ref[2], ref[4]], [*net.layers, net.head]):
            r.weight.copy_(o.weight)
            r.bias.copy_(o.bias)
    x = torch.randn(10, 8)
    torch.testing.assert_close(net(x), ref(x), atol=1e-6, rtol=1e-6)
    with pytest.raises(ValueError, match=r"x: expected a tensor shaped \(N, 8\)"):
        net(torch.randn(3, 7))
    with pytest.raises(ValueError, match="norm: expected None, 'batch' or 'layer'"):
        MLP(2, [3], 1, norm="group")


@pytest.mark.syllabus("training.mlp")
def test_mlp_reaches_95_percent_on_digits():
    torch.manual_seed(0)
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    Xtr, Xte = torch.tensor(Xtr, dtype=torch.float32), torch.tensor(Xte, dtype=torch.float32)
    ytr, yte = torch.tensor(ytr), torch.tensor(yte)
    net = MLP(64, [128], 10, activation="relu")
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(30):
        for idx in torch.randperm(len(Xtr), generator=g).split(64):
            loss = torch.nn.functional.cross_entropy(net(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    acc = (net(Xte).argmax(1) == yte).float().mean().item()
    assert acc >= 0.95


@pytest.mark.syllabus("training.linear_activation_collapse")
@pytest.mark.parametrize("residual", [False, True])
def test_five_layer_identity_network_is_one_matrix(residual):
    torch.manual_seed(0)
    net = MLP(3, [4, 4, 4, 4], 2, activation="identity", residual=residual).double()
    x = torch.randn(20, 3, dtype=torch.float64)
    single = collapse_linear(net)
    ref = x
    for layer in net.layers:                                   # independent: explicit products
        h = ref @ layer.weight.T + layer.bias
        ref = ref + h if (residual and h.shape == ref.shape) else h
    ref = ref @ net.head.weight.T + net.head.bias
    torch.testing.assert_close(single(x), ref, atol=1e-10, rtol=0)
    torch.testing.assert_close(net(x), ref, atol=1e-10, rtol=0)
    with pytest.raises(ValueError, match="model: expected an MLP with identity activations"):
        collapse_linear(MLP(3, [4], 2, activation="relu"))


@pytest.mark.syllabus("training.linear_activation_collapse")
def test_deep_linear_net_on_moons_is_no_better_than_logistic_regression():
    X, y = make_moons(400, noise=0.2, random_state=0)
    lr_acc = LogisticRegression(C=1e4).fit(X, y).score(X, y)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    torch.manual_seed(0)
    net = MLP(2, [8, 8, 8, 8], 2, activation="identity").double()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(300):
        loss = torch.nn.functional.cross_entropy(net(Xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = (net(Xt).argmax(1) == yt).double().mean().item()
    assert abs(acc - lr_acc) <= 0.02                            # same linear boundary family
    single = collapse_linear(net)
    assert torch.equal(single(Xt).argmax(1), net(Xt).argmax(1))  # boundary is a hyperplane
    relu_net = MLP(2, [32, 32], 2, activation="relu").double()  # contrast: non-linear beats it
    opt = torch.optim.Adam(relu_net.parameters(), lr=1e-2)
    for _ in range(300):
        loss = torch.nn.functional.cross_entropy(relu_net(Xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (relu_net(Xt).argmax(1) == yt).double().mean().item() > lr_acc + 0.05
