# `make run` and `make test` work on a fresh machine: each installs what it needs into .venv first.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
QUESTION ?= berapa anggota ISIS yang menyerahkan diri di Raqqah?

.PHONY: run ask test test-fast bench install

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The CPU build of torch first (a local wheel here); otherwise pip pulls GBs of CUDA wheels.
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/assistant index
	$(VENV)/bin/assistant

ask: install
	$(VENV)/bin/assistant ask "$(QUESTION)"

test: install
	$(PYTHON) -m pytest

test-fast: install  # everything but the model-loading, process and chat tests
	$(PYTHON) -m pytest -m "not slow"

bench: install
	$(PYTHON) bench/bm25_1m.py
