"""The project on a fresh machine: drawings without Graphviz's `dot` (graphviz-pure from the package
index draws them), `make demo` in a fresh clone, and the wheel installed outside the checkout.

The last two create virtual environments and fetch packages from the index: they run where
TINYGRAD_NLP_INSTALL_TESTS=1 (.ci/run sets it), and skip elsewhere."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_nlp as tg
import viz

ROOT = Path(__file__).resolve().parents[1]
install_test = pytest.mark.skipif(os.environ.get("TINYGRAD_NLP_INSTALL_TESTS") != "1",
                                  reason="creates venvs and fetches packages: set TINYGRAD_NLP_INSTALL_TESTS=1 (.ci/run does)")


def path_without(tmp_path: Path, hidden: str) -> str:
    """A PATH with every program of this one except `hidden` (one folder of links)."""
    folder = tmp_path / f"bin-without-{hidden}"
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name != hidden and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(folder)


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without(tmp_path, "dot"))
    assert not viz.has_dot()
    return os.environ["PATH"]


def small_graph() -> tg.Tensor:
    x = tg.tensor([[1.0, -2.0]], requires_grad=True, name="x")
    loss = (x * 3).sigmoid().sum()
    loss.backward(retain_graph=True)
    return loss


def test_without_dot_graphviz_pure_draws_svg_png_and_the_backprop_page(no_dot, tmp_path):
    if viz.render.pure_renderer() is None:
        pytest.skip("graphviz-pure is not installed (the `render` extra)")
    loss = small_graph()
    svg = viz.save(viz.draw(loss, show="both"), tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!--")) and "σ" in svg
    assert viz.save(viz.draw(loss), tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert "<svg" in viz.backprop_html(loss, tmp_path / "b.html").read_text()
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):  # no PDF from graphviz-pure
        viz.save(viz.draw(loss), tmp_path / "g.pdf")


def test_without_dot_graphviz_pure_keeps_the_time_grid(no_dot, tmp_path):
    """The time grid is laid out by our code and drawn by `neato -n2`: graphviz-pure must get that
    engine too (laid out by its dot, the columns of a 2-layer LSTM drift apart)."""
    import re

    from tinygrad_nlp import nn

    if viz.render.pure_renderer() is None:
        pytest.skip("graphviz-pure is not installed (the `render` extra)")
    lstm = nn.LSTM(3, 3, num_layers=2, generator=0)
    loss = lstm(tg.randn(1, 3, 3, generator=1))[0].sum()
    svg = viz.save(viz.draw(loss, names=lstm), tmp_path / "g.svg").read_text()
    xs = {}
    for title, body in re.findall(r"<title>([^<]*)</title>(.*?)</g>", svg, flags=re.S):
        m = re.search(r">LSTM</text>.*?>t=(\d)<", body, flags=re.S) or re.search(r">LSTM t=(\d)<", body)
        if m:
            x = re.search(r'<text[^>]*x="([-\d.]+)"', body)
            xs.setdefault(m.group(1), []).append(float(x.group(1)))
    assert sorted(xs) == ["0", "1", "2"] and all(len(v) == 2 for v in xs.values()), xs
    assert all(abs(a - b) <= 5 for a, b in xs.values())  # column t at one x in both layers


@install_test
def test_make_demo_in_a_fresh_clone_without_dot_draws_the_graph_and_the_page(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = path_without(tmp_path, "dot")
    result = subprocess.run(["make", "demo", f"PYTHON={sys.executable}", "VENV_FLAGS=--system-site-packages"], cwd=clone,
                            env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (clone / "runs/demo/graph.svg").read_text().count("<g id=\"node") >= 5
    assert "<svg" in (clone / "runs/demo/backprop.html").read_text()


@install_test
def test_the_wheel_installs_and_runs_gallery_outside_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}  # nothing from the checkout
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
                    str(ROOT)], check=True, timeout=300, env=env, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("tinygrad_nlp-*.whl"))
    assert wheel.name.startswith(f"tinygrad_nlp-{tg.__version__}-")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300, env=env)
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600, env=env, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    version = subprocess.run([str(venv / "bin/tinygrad-nlp"), "--version"], cwd=work, env=env, capture_output=True, text=True)
    assert version.stdout.strip() == f"tinygrad-nlp {tg.__version__}", version.stderr
    result = subprocess.run([str(venv / "bin/tinygrad-nlp"), "gallery", "--format", "svg", "--out", "g"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (work / "g/lstm_cell.svg").exists() and (work / "g/seq2seq.svg").exists()
    licence = [f for f in subprocess.run([str(venv / "bin/python"), "-c", "from importlib.metadata import files; "
                                          "print(*files('tinygrad_nlp'))"], capture_output=True, text=True, cwd=work, env=env)
               .stdout.split() if f.endswith("LICENSE")]
    assert licence, "the wheel carries LICENSE"
