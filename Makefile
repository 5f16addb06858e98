# reportflow — the two commands: `make up` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
RUN_STAMP := $(VENV)/.runtime-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: up test lint typecheck unit integration bench system-deps clean stack

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

# up needs only the runtime dependencies: a fresh clone starts without the test tools.
$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	rm -f $(VENV)/.runtime-* && touch $@

## up: create the environment and run the whole system on one port (prints the admin login)
up: $(RUN_STAMP)
	exec $(BIN)/reportflow up --host $(HOST) --port $(PORT)

## system-deps: Debian packages the tests need (no-op when present)
system-deps:
	@bash scripts/system-deps.sh chromium prometheus prometheus-alertmanager

## stack: local Prometheus (:9090) and Alertmanager (:9093) wired to `make up` (docs/operations.md)
stack:
	@bash scripts/stack.sh

## test: lint, type-check and run every test
test: $(STAMP) system-deps lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

## bench: every benchmark; results go to docs/benchmarks.md by hand after review
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .reportflow .pytest_cache .mypy_cache .ruff_cache
