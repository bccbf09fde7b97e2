import math

import networkx as nx
import numpy as np
import pytest
import torch

from deepnotes.graphs import (from_networkx, graph_fourier_transform, inverse_graph_fourier_transform,
                              laplacian, laplacian_eigen, laplacian_matvec)


def _graph(seed=0):
    g = nx.gnm_random_graph(15, 25, seed=seed)
    g.add_edges_from([(15, 16), (16, 17)])  # a second component; node 18 isolated
    g.add_node(18)
    return g


@pytest.mark.syllabus("graphs.graph_laplacian")
@pytest.mark.parametrize("norm", [None, "sym"])
def test_laplacian_equals_networkx(norm):
    g = _graph()
    d = from_networkx(g)
    ours = laplacian(d.edge_index, d.num_nodes, norm).numpy()
    ref = (nx.laplacian_matrix(g, weight=None) if norm is None
           else nx.normalized_laplacian_matrix(g, weight=None)).toarray()
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    x = torch.randn(d.num_nodes, 3, dtype=torch.float64)
    torch.testing.assert_close(laplacian_matvec(x, d.edge_index, norm), torch.from_numpy(ref).double() @ x)


@pytest.mark.syllabus("graphs.graph_laplacian")
def test_zero_eigenvalue_multiplicity_is_components():
    g = _graph(3)
    d = from_networkx(g)
    lam, _ = laplacian_eigen(d.edge_index, d.num_nodes)
    assert lam.min() > -1e-10
    assert int((lam.abs() < 1e-9).sum()) == nx.number_connected_components(g)
    np.testing.assert_allclose(lam.numpy(), np.sort(np.linalg.eigvalsh(nx.laplacian_matrix(g).toarray())),
                               atol=1e-9)


@pytest.mark.syllabus("graphs.graph_fourier_transform")
def test_gft_round_trip_and_cycle_spectrum():
    n = 12
    d = from_networkx(nx.cycle_graph(n))
    lam, U = laplacian_eigen(d.edge_index, n)
    expected = np.sort([2 - 2 * math.cos(2 * math.pi * k / n) for k in range(n)])
    np.testing.assert_allclose(lam.numpy(), expected, atol=1e-10)
    x = torch.randn(n, 2, dtype=torch.float64)
    x_hat = graph_fourier_transform(x, U)
    assert (inverse_graph_fourier_transform(x_hat, U) - x).abs().max() < 1e-10
    # the constant signal lives entirely at frequency 0
    c_hat = graph_fourier_transform(torch.ones(n, dtype=torch.float64), U)
    assert c_hat[1:].abs().max() < 1e-10
    with pytest.raises(ValueError, match="x"):
        graph_fourier_transform(torch.ones(n + 1, dtype=torch.float64), U)
