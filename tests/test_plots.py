"""viz.embedding_map / plot_embeddings: word-vector maps that keep clusters, whatever the vectors' lengths."""
import numpy as np
import pytest

import viz


def clusters(rng):
    """Three tight groups of 10 directions in 20-D, with lengths from 0.1 to 10 (the map must ignore them)."""
    centres = rng.standard_normal((3, 20))
    X = np.repeat(centres, 10, axis=0) + 0.05 * rng.standard_normal((30, 20))
    return X * rng.uniform(0.1, 10, (30, 1)), np.repeat(np.arange(3), 10)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_map_keeps_each_words_nearest_neighbour_in_its_group(method):
    if method == "tsne":
        pytest.importorskip("sklearn")
    X, group = clusters(np.random.default_rng(0))
    xy = viz.embedding_map(X, method=method)
    assert xy.shape == (30, 2)
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.diag(np.full(30, np.inf))
    assert (group[d.argmin(axis=1)] == group).all()
    if method == "pca":  # with unit vectors the groups' spread is tiny beside their distances
        spread = max(np.ptp(xy[group == g], axis=0).max() for g in range(3))
        assert spread < 0.2 * np.ptp(xy, axis=0).max()


def test_plot_embeddings_saves_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    X, group = clusters(np.random.default_rng(0))
    path = viz.plot_embeddings(X, [f"w{i}" for i in range(30)], tmp_path / "map.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_embedding_map_errors(tmp_path):
    with pytest.raises(ValueError, match=r"one vector per word, 2 words, got vectors of shape \(3, 4\)"):
        viz.plot_embeddings(np.zeros((3, 4)), ["a", "b"], tmp_path / "x.png")
    with pytest.raises(ValueError, match="method must be 'pca' or 'tsne', got 'umap'"):
        viz.embedding_map(np.ones((2, 4)), method="umap")
    with pytest.raises(ValueError, match=r"need vectors of shape \(N >= 2, D\), got \(4,\)"):
        viz.embedding_map(np.ones(4))
