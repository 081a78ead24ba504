# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv and installs
# what it needs. Drawings use Graphviz's `dot` when your OS has it (apt-get install graphviz), else
# graphviz-pure from the package index (the `render` extra); the browser test needs Chromium.
PYTHON ?= python3
VENV ?= .venv
# e.g. VENV_FLAGS=--system-site-packages to reuse the packages of the Python that makes the venv
VENV_FLAGS ?=
PY := $(VENV)/bin/python

.PHONY: demo test bench docs clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)
	$(PY) -m pip install -q --upgrade pip

# the demo needs only numpy, graphviz (and a renderer) and matplotlib
$(VENV)/.demo-installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[plot,render]'
	touch $@

# the tests also need pytest, hypothesis, sacrebleu, PyTorch (cross-checks) and Playwright (browser tests)
$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test,compare,plot,render,browser,tsne,cli,docs]'
	touch $@ $(VENV)/.demo-installed $(VENV)/.docs-installed

# the course website: MkDocs Material, mkdocstrings, mkdocs-jupyter (and npm, for the search shim of file:// pages)
$(VENV)/.docs-installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[docs]'
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) examples/demo.py

test: $(VENV)/.installed
	$(PY) -m pytest tests

docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build

bench: $(VENV)/.installed
	$(PY) benchmarks/op_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info site .cache
