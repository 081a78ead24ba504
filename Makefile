# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv and installs
# what it needs (Graphviz's `dot` and Chromium come from your OS packages: apt-get install graphviz chromium).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench docs clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# the demo needs only numpy, graphviz and matplotlib
$(VENV)/.demo-installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[plot]'
	touch $@

# the tests also need pytest, hypothesis, sacrebleu, PyTorch (cross-checks) and Playwright (browser tests)
$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test,compare,plot,browser,tsne,cli,docs]'
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
