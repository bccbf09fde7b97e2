import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from deepnotes.autodiff import EngineMLP, Tensor, cross_entropy, engine_sgd_step

# -- random graphs: the same program run by the engine and by torch.autograd ----------------
UNARY = ["tanh", "sigmoid", "relu", "exp_tanh", "log1p_sq", "softmax", "log_softmax", "mean0", "sq"]
BINARY = ["add", "mul", "sub", "div_safe", "matmul"]


def _apply(lib, op, a, b, w):
    """One op on (3, 4) nodes; `lib` is 'np' for our Tensor, 'torch' for torch tensors."""
    t = lib == "torch"
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "relu":
        return a.relu()
    if op == "exp_tanh":
        return a.tanh().exp()
    if op == "log1p_sq":
        return (a * a + 1).log()
    if op == "softmax":
        return a.softmax(-1) if t else a.softmax(axis=-1)
    if op == "log_softmax":
        return a.log_softmax(-1) if t else a.log_softmax(axis=-1)
    if op == "mean0":                                  # (3,4) -> (1,4), broadcast back by the next add
        return a.mean(0, keepdim=True) + a if t else a.mean(axis=0, keepdims=True) + a
    if op == "sq":
        return a ** 2
    if op == "add":
        return a + b
    if op == "mul":
        return a * b
    if op == "sub":
        return a - b
    if op == "div_safe":
        return a / (b * b + 1)
    if op == "matmul":
        return a @ w                                   # (3, 4) @ (4, 4)
    raise AssertionError(op)


program = st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 50), st.integers(0, 50)),
                   min_size=1, max_size=12)


def _run(lib, prog, arrays):
    if lib == "torch":
        leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    else:
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
    x, y, bias, w, seed = leaves
    nodes = [x, y, x + bias]                           # bias (4,) broadcasts over rows
    for op, i, j in prog:
        nodes.append(_apply(lib, op, nodes[i % len(nodes)], nodes[j % len(nodes)], w))
    out = (nodes[-1] * seed).sum() + (nodes[len(nodes) // 2] * nodes[-1]).sum()   # fan-out
    out.backward()
    grads = [l.grad if lib != "torch" or l.grad is None else l.grad.numpy() for l in leaves[:4]]
    return [np.zeros(a.shape) if g is None else g for g, a in zip(grads, arrays)]   # unused -> 0


@pytest.mark.syllabus("autodiff.computational_graph")
@pytest.mark.syllabus("autodiff.backprop")
@settings(max_examples=50, deadline=None)
@given(prog=program, data_seed=st.integers(0, 2 ** 16))
def test_random_graphs_match_torch_autograd(prog, data_seed):
    rng = np.random.default_rng(data_seed)
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(4,)),
              rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4))]
    ours, ref = _run("np", prog, arrays), _run("torch", prog, arrays)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.syllabus("autodiff.computational_graph")
def test_second_backward_without_retain_raises_and_retain_accumulates():
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = (x.tanh() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward()                                        # retained: works, and accumulates
    np.testing.assert_allclose(x.grad, 2 * first)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


@pytest.mark.syllabus("autodiff.backprop")
def test_mlp_on_digits_matches_torch_and_trains():
    from deepnotes.data import load_digits
    xs, ys = load_digits("train", flatten=True).tensors
    x, y = xs[:200].double().numpy(), ys[:200].numpy()
    ours = EngineMLP([64, 32, 10], activation="tanh", seed=0)
    ref = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)).double()
    with torch.no_grad():
        for (w, b), lin in zip(ours.layers, [ref[0], ref[2]]):
            lin.weight.copy_(torch.from_numpy(w.data))
            lin.bias.copy_(torch.from_numpy(b.data))
    loss = cross_entropy(ours(Tensor(x)), y)
    loss.backward()
    ref_loss = F.cross_entropy(ref(torch.from_numpy(x)), torch.from_numpy(y))
    ref_loss.backward()
    assert abs(loss.data - ref_loss.item()) < 1e-12
    for (w, b), lin in zip(ours.layers, [ref[0], ref[2]]):
        np.testing.assert_allclose(w.grad, lin.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b.grad, lin.bias.grad.numpy(), rtol=1e-10, atol=1e-12)
    # doubling the seed doubles every gradient (backward is linear in delta)
    for p in ours.parameters():
        p.grad = None
    cross_entropy(ours(Tensor(x)), y).backward(gradient=np.array(2.0))
    np.testing.assert_allclose(ours.layers[0][0].grad, 2 * ref[0].weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    for p in ours.parameters():
        p.grad = None
    first = loss.data
    for _ in range(60):                                 # and it learns
        l = cross_entropy(ours(Tensor(x)), y)
        l.backward()
        engine_sgd_step(ours.parameters(), lr=0.5)
    assert l.data < 0.5 * first


@pytest.mark.syllabus("autodiff.gradient_accumulation")
def test_fan_out_sums_gradients():
    x = Tensor([0.5, -1.5, 3.0], requires_grad=True)
    (x * x + x).sum().backward()                        # f = x.x + x: df/dx = 2x + 1
    np.testing.assert_allclose(x.grad, 2 * x.data + 1, rtol=0, atol=1e-15)


@pytest.mark.syllabus("autodiff.gradient_accumulation")
def test_weight_shared_at_three_sites_gets_the_sum_of_untied_gradients():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4, 4))
    xs = [rng.normal(size=(2, 4)) for _ in range(3)]
    tied = Tensor(w0, requires_grad=True)
    sum(((Tensor(x) @ tied).tanh() ** 2).sum() for x in xs).backward()
    untied = [Tensor(w0, requires_grad=True) for _ in xs]
    sum(((Tensor(x) @ w).tanh() ** 2).sum() for x, w in zip(xs, untied)).backward()
    np.testing.assert_allclose(tied.grad, sum(w.grad for w in untied), rtol=1e-13)
    mean = sum(w.grad for w in untied) / 3          # 001's "mean of per-use updates" is NOT it
    assert not np.allclose(tied.grad, mean)


@pytest.mark.syllabus("autodiff.input_gradients")
def test_vjp_with_one_hot_seed_is_a_jacobian_row():
    rng = np.random.default_rng(1)
    x0, w = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))

    def f_torch(x):
        return (x @ torch.from_numpy(w)).tanh().softmax(-1)

    jac = torch.autograd.functional.jacobian(f_torch, torch.from_numpy(x0))     # (2, 4, 2, 3)
    for i, j in [(0, 0), (1, 3), (0, 2)]:
        x = Tensor(x0, requires_grad=True)
        seed = np.zeros((2, 4))
        seed[i, j] = 1.0
        (x @ Tensor(w)).tanh().softmax(axis=-1).backward(gradient=seed)
        np.testing.assert_allclose(x.grad, jac[i, j].numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.syllabus("autodiff.input_gradients")
def test_input_gradient_of_linear_model_is_its_weight_and_params_can_be_excluded():
    w = Tensor([[2.0], [-1.0], [0.5]])                  # requires_grad=False: excluded
    x = Tensor([[1.0, 1.0, 1.0]], requires_grad=True)
    (x @ w).sum().backward()
    np.testing.assert_array_equal(x.grad, w.data.T)
    assert w.grad is None


@pytest.mark.syllabus("autodiff.parameter_freezing")
def test_engine_detach_blocks_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3 + x.detach() * 100).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_bad_input_is_named():
    with pytest.raises(RuntimeError, match="gradient"):
        (Tensor([1.0, 2.0], requires_grad=True) * 2).backward()
    with pytest.raises(ValueError, match="target"):
        cross_entropy(Tensor(np.zeros((2, 3)), requires_grad=True), [0, 1, 2])
    with pytest.raises(ValueError, match="activation"):
        EngineMLP([2, 2], activation="gelu")


@pytest.mark.syllabus("autodiff.backprop")
@pytest.mark.syllabus("autodiff.gradient_accumulation")
def test_rnn_and_cnn_built_from_engine_ops_match_torch():
    rng = np.random.default_rng(2)
    # tanh RNN, h_t = tanh(x_t W_x + h_{t-1} W_h + b): W_h is shared across 5 time steps
    xs, wx, wh, b = rng.normal(size=(5, 2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4)
    ours = [Tensor(a, requires_grad=True) for a in (wx, wh, b)]
    ref = [torch.tensor(a, requires_grad=True) for a in (wx, wh, b)]
    for (Wx, Wh, B), lib in ((ours, "np"), (ref, "torch")):
        h = Tensor(np.zeros((2, 4))) if lib == "np" else torch.zeros(2, 4, dtype=torch.float64)
        for t in range(5):
            x_t = Tensor(xs[t]) if lib == "np" else torch.from_numpy(xs[t])
            h = (x_t @ Wx + h @ Wh + B).tanh()
        (h * h).sum().backward()
    for a, r in zip(ours, ref):
        np.testing.assert_allclose(a.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)
    # 1-D convolution as patches @ kernel: the kernel is shared across all positions
    x, w = rng.normal(size=(2, 9)), rng.normal(size=(3, 4))            # (B, L), (k, C)
    idx = np.arange(7)[:, None] + np.arange(3)                            # (L - k + 1, k)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    out = (xt[:, idx].reshape(14, 3) @ wt).tanh()                         # (B * 7, C)
    (out * out).sum().backward()
    xr, wr = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    conv = F.conv1d(xr[:, None], wr.T[:, None])                           # (B, C, 7), cross-correlation
    (conv.tanh() ** 2).sum().backward()
    np.testing.assert_allclose(out.data.reshape(2, 7, 4), conv.detach().tanh().permute(0, 2, 1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(wt.grad, wr.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
