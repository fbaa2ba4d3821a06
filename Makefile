# Hamlet Hub: `make run` starts the hub with simulated devices; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYS_STAMP := $(VENV)/.system-packages

.PHONY: run test lint unit integration soak bench system-deps venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/hamlet up

# System packages the real-service tests start: mosquitto, influxd 1.x, victoria-metrics, chromium.
system-deps:
	@bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) system-deps lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest -m "not integration and not browser"

integration: $(STAMP) system-deps
	$(BIN)/pytest -m "integration or browser"

bench: $(STAMP) system-deps
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/lights.py

soak: bench

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
