# `make run` and `make test` work on a fresh machine: each installs what it needs into .venv first,
# from the committed lock (every package pinned), so pip never searches for versions.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
QUESTION ?= berapa anggota ISIS yang menyerahkan diri di Raqqah?
# Where torch's CPU build comes from: PyPI's Linux torch is the CUDA build (several GB), so elsewhere
# set this to PyTorch's CPU index: make test TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
TORCH_INDEX_URL ?=
UV_VERSION ?= 0.13.9

.PHONY: run ask test test-fast bench bench-peers install lock

$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	# torch's CPU build first; the lock pins torch==2.13.0, which it satisfies, and no CUDA runtime.
	$(VENV)/bin/pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	$(VENV)/bin/pip install --quiet -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
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

bench-peers: install  # the benchmarks' peers (bm25s, numba), pinned in bench/peers.lock; not needed to run or test
	$(VENV)/bin/pip install --quiet -r bench/peers.lock

# Regenerate requirements.lock from pyproject.toml (its [tool.uv] pins torch and leaves out CUDA)
# with uv from PyPI: seconds, where pip's own resolver can backtrack for most of an hour.
lock:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra milvus --universal --python-version 3.11 \
		--quiet -o requirements.lock
