# `make webui` and `make test` set everything up on a fresh clone (a .venv with the pinned stack).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
# Tests never reach a hub (their hub is a local test server); `make webui` may, to download a model you ask for.
TEST_ENV := HF_HUB_OFFLINE=1

.PHONY: install webui test test-scale test-fast lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The local CPU build of torch first: any other version or range would pull a multi-GB CUDA build here.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

webui: $(STAMP)
	$(PY) webui.py --open $(ARGS)

# lint-imports (about 1 s): the import contracts in pyproject.toml ([tool.importlinter]); CI runs them here.
test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) -m pytest -q --durations=30 -m "not scale" $(PYTEST_ARGS)

# The heavier end-to-end tests (a real Slurm cluster, a full disk, sweeps, early stopping, reward-model export).
test-scale: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -q --durations=15 -m scale $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -q -m "not slow and not browser and not scale" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/sft_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
