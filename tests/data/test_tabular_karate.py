"""sklearn tabular sets and the karate club graph against their sources."""
import networkx as nx
import numpy as np
import pytest
import sklearn.datasets
import torch

from deepnotes.data import load


@pytest.mark.parametrize("name,loader,classes", [("iris", "load_iris", 3), ("wine", "load_wine", 3),
                                                 ("breast_cancer", "load_breast_cancer", 2),
                                                 ("diabetes", "load_diabetes", 0)])
def test_tabular_splits_cover_the_source(name, loader, classes):
    ref = getattr(sklearn.datasets, loader)()
    parts = [load(name, split=s) for s in ("train", "val", "test")]
    x = torch.cat([p.tensors[0] for p in parts]).double().numpy()
    assert len(x) == len(ref.data)
    # every source row appears exactly once across the three splits
    a = np.sort(x.round(3), axis=0)
    b = np.sort(ref.data.round(3), axis=0)
    np.testing.assert_allclose(a, b, atol=1e-3)
    n = len(ref.data)
    held = int(np.ceil(0.4 * n))
    assert [len(p) for p in parts] == [n - held, held - int(np.ceil(held / 2)), int(np.ceil(held / 2))]
    if classes:
        assert parts[0].tensors[1].dtype == torch.long
        counts = np.bincount(ref.target)
        got = np.bincount(parts[2].tensors[1].numpy(), minlength=classes)
        assert np.abs(got - counts * len(parts[2]) / n).max() < 1


def test_karate_matches_networkx():
    g = load("karate")
    ref = nx.karate_club_graph()
    assert g.x.shape == (34, 34) and g.edge_index.shape == (2, 156)
    pairs = {tuple(e) for e in g.edge_index.T.tolist()}
    assert pairs == {(u, v) for u, v in ref.edges()} | {(v, u) for u, v in ref.edges()}
    assert g.y.tolist() == [int(ref.nodes[i]["club"] != "Mr. Hi") for i in range(34)]
    assert g.train_mask.sum() == 2 and g.y[0] == 0 and g.y[33] == 1 and not (g.train_mask & g.test_mask).any()


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        load("iris", split="validation")
    with pytest.raises(ValueError, match="split"):
        load("karate", split="x")
