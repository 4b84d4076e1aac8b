# Two-command set-up (SPEC §2): `make demo` and `make test` each create .venv and install everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.whsim-installed
# Optional extra package index for the torch CPU wheel on machines that have no local copy of it,
# e.g. `make demo TORCH_INDEX=<PyTorch CPU wheel index URL>` (see README).
TORCH_INDEX ?=
PIP_EXTRA := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX),)

.PHONY: setup demo test test-all test-slow lint format clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip

$(STAMP): pyproject.toml constraints.txt tools/ensure_libusb.sh | $(BIN)/python
	sh tools/ensure_libusb.sh
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt $(PIP_EXTRA) -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/whsim run scenarios/default.yaml --out runs/default --overwrite
	@echo "plots: runs/default/plots/ (trajectories.png, bev.png, metrics.png)"

test: setup
	$(BIN)/ruff check sim perception fusion tools tests
	$(BIN)/ruff format --check sim perception fusion tools tests
	$(BIN)/python -m pytest -q

test-all: setup
	$(BIN)/python -m pytest -q -m "slow or not slow"

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

lint: setup
	$(BIN)/ruff check sim perception fusion tools tests
	$(BIN)/ruff format --check sim perception fusion tools tests

format: setup
	$(BIN)/ruff format sim perception fusion tools tests

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
