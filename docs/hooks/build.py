"""What the course website generates at build time (mkdocs.yml names this file as its hook).

Why MkDocs Material + mkdocstrings + mkdocs-jupyter rather than Sphinx: our docstrings are plain
text with formulas (`dx = g * y`), not reStructuredText. mkdocstrings renders them as Markdown, so
`strict: true` can fail the build on what matters (a broken link, an unresolved cross-reference, a
missing page) without one warning per docstring; Material's `offline` plugin keeps search working
from the file system; mkdocs-jupyter executes the notebooks while the site is built.

Generated here, from the repository itself, so that nothing is written twice:
- `notebooks/`: the chapters, the notebooks of notebooks/, executed on their small settings (TINYGRAD_NLP_NOTEBOOK_SMALL=1);
- `gallery.md`: every figure of `tinygrad-nlp gallery`, with the code that made it beside it;
- `explore.md` and `explorers/*.html`: explorer pages (`tinygrad-nlp explore`) embedded in the page;
- `engine.md`, `results.md`: sections of README.md;
- `api/`: one page per part of the package, from the docstrings (mkdocstrings).
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "docs"
IFRAME_WORKER = "iframe-worker@1.0.4"  # Material's search shim for file:// (MIT); npm checks its integrity
COMMAND = [sys.executable, "-m", "tinygrad_nlp.cli"]

# The API reference, grouped as the package is: (page, title, packages or modules, what it is).
API = [
    ("engine", "Engine: Tensor and its nodes", ["tinygrad_nlp.engine", "tinygrad_nlp.tensor_methods", "tinygrad_nlp.creation"],
     "The `Tensor`, the primitive nodes (each with its forward formula and its derivative) and the backward loop; "
     "the Tensor methods made of other methods, and the constructors."),
    ("nn", "nn: layers and functions", ["tinygrad_nlp.nn"], "Layers and functions composed from the engine's nodes."),
    ("optim", "optim: optimizers", ["tinygrad_nlp.optim"], "Optimizers and learning-rate schedules."),
    ("data", "data: text, corpora, batches", ["tinygrad_nlp.data"], "Tokenizing, vocabularies, the corpora and batching."),
    ("evaluation", "evaluation", ["tinygrad_nlp.evaluation", "tinygrad_nlp.lm"],
     "Perplexity, generation, decoding, metrics, word vectors; n-gram language models."),
    ("models", "models: the course's models", ["models"], "word2vec, language models, seq2seq, attention."),
    ("viz", "viz: drawings and explorer pages", ["viz"], "Computation graphs drawn as the textbook draws them, pages that step through backprop, plots."),
    ("interop", "interop: the models in PyTorch", ["tinygrad_nlp.interop"],
     "The torch.nn twins of the models, to_torch / from_torch, PyTorch checkpoints (the `torch` extra)."),
    ("testing", "testing: gradient checks", ["tinygrad_nlp.testing"], "gradcheck, gradgradcheck and hypothesis strategies (public API)."),
    ("files", "files, checkpoints and runs", ["tinygrad_nlp.files", "tinygrad_nlp.serialization", "tinygrad_nlp.runs", "tinygrad_nlp.trainer"],
     "Atomic writes, self-describing checkpoints without pickle, run folders, the training loop."),
]
# The explorer pages embedded in explore.md: (file, title, the command's arguments after `explore`).
EXPLORERS = [
    ("two_layer_net", "A two-layer net: Affine → σ → Affine → Softmax with Loss", ["--figure", "two_layer_net"]),
    ("lstm_cell", "An LSTM cell, opened: the gates f, g, i, o", ["--figure", "lstm_cell"]),
    ("attention_seq2seq", "An attention seq2seq model on the date task, a few hundred steps trained", None),
]


def modules(package: str) -> list[str]:
    """The package and its public modules, in file order (a plain module stands for itself)."""
    path = ROOT.joinpath(*package.split("."))
    if not path.is_dir():
        return [package]
    out = []
    for p in sorted(path.rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        if p.name == "__main__.py" or any(part.startswith("_") and part != "__init__" for part in parts):
            continue
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def readme_section(title: str) -> str:
    """A `## title` section of README.md, down to the next `## `, its headings one level up."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    if not m:
        raise ValueError(f"README.md has no section '## {title}' (docs/hooks/build.py reads it)")
    return re.sub(r"^###", "##", m.group(1), flags=re.M)


def run(*args: str, cwd: Path = ROOT) -> None:
    """One `tinygrad-nlp` command; its output goes to the build log, a failure fails the build."""
    result = subprocess.run([*COMMAND, *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"tinygrad-nlp {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def figure_code() -> dict[str, str]:
    """For each figure yielded by gallery.figures(), the lines that build it (from the previous yield)."""
    path = ROOT / "tinygrad_nlp" / "cli" / "gallery.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    fn = next(n for n in ast.parse("\n".join(lines)).body if isinstance(n, ast.FunctionDef) and n.name == "figures")
    out, start = {}, fn.body[0].lineno
    if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant):  # skip the docstring
        start = fn.body[0].end_lineno + 1
    for node in ast.walk(fn):
        if isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple) and isinstance(node.value.elts[0], ast.Constant):
            stmt_end = node.end_lineno
            block = [line[4:] for line in lines[start - 1:stmt_end] if line.strip()]
            out[node.value.elts[0].value] = "\n".join(block)
            start = stmt_end + 1
    return out


def gallery(config, files: Files) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        run("gallery", "--format", "svg", "--out", tmp)
        svgs = sorted(Path(tmp).glob("*.svg"))
        for svg in svgs:
            files.append(File.generated(config, f"gallery/{svg.name}", content=svg.read_bytes()))
    code = figure_code()
    order = {name: i for i, name in enumerate(code)}
    page = ["# Gallery", "",
            "Every figure of `tinygrad-nlp gallery`, drawn from a real computation: forward values on the edges and, "
            "in red, the gradients that came back. Beside each, the code that built it "
            "(`tinygrad_nlp/cli/gallery.py`; `tinygrad-nlp draw --figure NAME` draws one).", ""]
    for svg in sorted(svgs, key=lambda p: (order.get(p.stem, len(order)), p.stem)):
        page += [f"## {svg.stem}", ""]
        if svg.stem in code:
            page += ["```python", code[svg.stem], "```", ""]
        page += [f"[![{svg.stem}](gallery/{svg.name})](gallery/{svg.name})", ""]
    return "\n".join(page)


def explorers(config, files: Files) -> str:
    page = ["# Explore backprop", "",
            "Each frame below is a page written by `viz.explore` (or `tinygrad-nlp explore`): click in it, then → / ← step "
            "through the forward pass and then the backward pass; click a node for its formula, its backward rule and "
            "the numbers. [Open a page on its own](explorers/two_layer_net.html) to give it the whole window.", ""]
    with tempfile.TemporaryDirectory() as tmp:
        for name, title, args in EXPLORERS:
            out = Path(tmp) / f"{name}.html"
            if args is None:  # a real model: a small attention seq2seq trained for a few hundred steps
                run("train-seq2seq", "--task", "date", "--model", "attention", "--reverse", "--hidden", "64",
                    "--epochs", "1", "--max-steps", "300", "--seed", "0", "--out", str(Path(tmp) / "date"))
                args = [str(Path(tmp) / "date" / "model.npz")]
            run("explore", *args, "--out", str(out))
            files.append(File.generated(config, f"explorers/{name}.html", content=out.read_bytes()))
            page += [f"## {title}", "", f"`tinygrad-nlp explore {' '.join(args if args[0].startswith('--') else ['model.npz'])}`", "",
                     f'<iframe class="explorer" src="explorers/{name}.html" title="{title}" '
                     'style="width: 100%; height: 640px; border: 1px solid #ccc"></iframe>', "",
                     f"[Open it on its own](explorers/{name}.html)", ""]
    return "\n".join(page)


def iframe_worker_shim() -> bytes:
    """The iframe-worker shim from the npm registry, cached in .cache/docs (never committed)."""
    shim = CACHE / IFRAME_WORKER / "package" / "shim" / "index.js"
    if not shim.exists():
        shim.parent.parent.parent.mkdir(parents=True, exist_ok=True)
        try:
            out = subprocess.run(["npm", "pack", IFRAME_WORKER, "--silent"], cwd=shim.parents[2], capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise RuntimeError(f"the docs need npm to fetch {IFRAME_WORKER} (search from file://): {e}") from e
        subprocess.run(["tar", "xzf", out.stdout.strip().splitlines()[-1]], cwd=shim.parents[2], check=True)
    return shim.read_bytes()


def chapters(config, files: Files) -> list[dict]:
    nav, index = [], ["# Chapters", "", "One notebook per chapter of the course, executed when this site was built "
                      "(on their small settings, a minute each on a laptop); open them in Jupyter from `notebooks/` to run "
                      "them yourself.", ""]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        first = "".join(next(c["source"] for c in cells if c["cell_type"] == "markdown"))
        title = first.strip().splitlines()[0].lstrip("# ").strip()
        # a File backed by the notebook itself (mkdocs-jupyter reads it from its path), published as notebooks/NAME.html
        files.append(File(f"notebooks/{nb.name}", src_dir=str(ROOT), dest_dir=config["site_dir"], use_directory_urls=False))
        nav.append({title: f"notebooks/{nb.name}"})
        index += [f"- [{title}]({nb.name})"]
    files.append(File.generated(config, "notebooks/index.md", content="\n".join(index) + "\n"))
    return [{"Overview": "notebooks/index.md"}, *nav]


def api(config, files: Files) -> list[dict]:
    nav, index = [], ["# API reference", "", "Generated from the docstrings, grouped as the package is. "
                      "Every node of the engine states its forward formula and its derivative.", ""]
    for page, title, packages, what in API:
        body = [f"# {title}", "", what, ""]
        for package in packages:
            for mod in modules(package):
                body += [f"::: {mod}", "    options:", "      heading_level: 2", ""]
        files.append(File.generated(config, f"api/{page}.md", content="\n".join(body)))
        nav.append({title: f"api/{page}.md"})
        index.append(f"- [{title}]({page}.md): {what}")
    files.append(File.generated(config, "api/index.md", content="\n".join(index) + "\n"))
    return [{"Overview": "api/index.md"}, *nav]


def on_config(config):
    os.environ.setdefault("TINYGRAD_NLP_NOTEBOOK_SMALL", "1")  # the notebooks' small settings
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, so that it converts the chapters added here
def on_files(files: Files, config) -> Files:
    files.append(File.generated(config, "assets/iframe-worker/shim.js", content=iframe_worker_shim()))
    chapter_nav = chapters(config, files)
    api_nav = api(config, files)
    files.append(File.generated(config, "gallery.md", content=gallery(config, files)))
    files.append(File.generated(config, "explore.md", content=explorers(config, files)))
    files.append(File.generated(config, "engine.md", content="# The engine in one screen\n" + readme_section("The engine in one screen")))
    files.append(File.generated(config, "results.md", content="# Examples and results\n"
                                + readme_section("Examples and results") + "\n# Benchmarks\n" + readme_section("Benchmarks")))
    config["nav"] = [{"Start": "index.md"}, {"Chapters": chapter_nav}, {"Gallery": "gallery.md"},
                     {"Explore backprop": "explore.md"}, {"The engine": "engine.md"}, {"Results": "results.md"},
                     {"API reference": api_nav}]
    return files
