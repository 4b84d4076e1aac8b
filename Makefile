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

# The suite on TEST_WORKERS processes (pytest-xdist), each on one BLAS / OpenMP thread: 2 on 2 cores take
# it from about 5 minutes to 3 (two workers each with 2 torch threads oversubscribe the cores: 3:46).
TEST_WORKERS ?= 2
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

test: setup
	$(BIN)/ruff check sim perception fusion tools tests
	$(BIN)/ruff format --check sim perception fusion tools tests
	$(ONE_THREAD) $(BIN)/python -m pytest -q -n $(TEST_WORKERS)

test-all: setup
	$(ONE_THREAD) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "slow or not slow"

test-slow: setup
	$(ONE_THREAD) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m slow

lint: setup
	$(BIN)/ruff check sim perception fusion tools tests
	$(BIN)/ruff format --check sim perception fusion tools tests

format: setup
	$(BIN)/ruff format sim perception fusion tools tests

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
