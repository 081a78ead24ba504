# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv and installs
# what it needs (Graphviz's `dot` and Chromium come from your OS packages: apt-get install graphviz chromium).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# the demo needs only numpy, graphviz and matplotlib
$(VENV)/.demo-installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[plot]'
	touch $@

# the tests also need pytest, hypothesis, sacrebleu, PyTorch (cross-checks) and Playwright (browser tests)
$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test,compare,plot,browser,tsne,cli]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(PY) examples/demo.py

test: $(VENV)/.installed
	$(PY) -m pytest tests

bench: $(VENV)/.installed
	$(PY) benchmarks/op_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info
