"""The notebooks (one per chapter of the course) are committed without outputs and run, on their
small setting, in a real Jupyter kernel: a notebook that no longer runs fails the suite."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CORPORA = {"02_word_vectors": ("ptb/ptb.train.txt",), "03_rnn_language_models": ("ptb/ptb.train.txt", "ptb/ptb.valid.txt"),
           "04_seq2seq_and_attention": ("date.txt",), "05_transformer": ("date.txt",)}


def test_there_is_a_notebook_per_chapter():
    assert [p.stem for p in NOTEBOOKS] == ["01_graphs_and_backprop", "02_word_vectors", "03_rnn_language_models",
                                           "04_seq2seq_and_attention", "05_transformer"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), "strip the outputs before committing"


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.corpus(*CORPORA.get(p.stem, ()))) for p in NOTEBOOKS],
                         ids=lambda p: p.stem)
def test_notebook_runs_and_draws_inline(path, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_NLP_NOTEBOOK_SMALL", "1")
    # one BLAS thread: OpenBLAS's thread pool in a kernel process beside other work was 10x slower here
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    drawing_cells = [c for c in nb.cells if c.cell_type == "code" and any(k in c.source for k in ("viz.draw(", "display(", "plt.show()"))]
    assert drawing_cells
    for cell in drawing_cells:  # every cell that draws shows its picture inline
        assert any({"image/svg+xml", "image/png"} & set(o.get("data", {})) for o in cell.outputs), cell.source[:80]
    if path.stem == "01_graphs_and_backprop":
        svg = "".join(o.get("data", {}).get("image/svg+xml", "") for o in outputs)
        assert "∂" in svg and "Affine" in svg and "LSTM" in svg  # gradients drawn, textbook layer names
