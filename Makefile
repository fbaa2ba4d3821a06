# Hamlet Hub: `make run` starts the hub with simulated devices; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYS_STAMP := $(VENV)/.system-packages

.PHONY: run test lint unit integration soak bench mutation system-deps venv clean

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
	$(BIN)/python bench/lights_handle.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/broadcasts.py
	$(BIN)/python bench/broadcasts_hub.py
	$(BIN)/python bench/cameras.py

# The fault tests of `make test`, longer: more kills and crashes, longer outages, more messages (HAMLET_SOAK).
soak: $(STAMP) system-deps
	HAMLET_SOAK=1 $(BIN)/pytest -m integration tests/integration/test_faults_*.py
	$(MAKE) bench

# Mutation testing (mutmut, [tool.mutmut] in pyproject.toml): not part of `make test`. One worker, as the
# machine is shared; mutants/ caches results, so a re-run only judges what changed. Prints the share of
# mutants the fast unit tests kill (a run past its time limit counts as killed), per module, over the mutants
# run. One module: make mutation MUTANTS="hub.ingest.writer*"
# (mutmut's names are module paths with dots). Survivors judged equivalent, and why: docs/mutation.md.
mutation: $(STAMP)
	$(BIN)/mutmut run --max-children 1 $(MUTANTS)
	@$(BIN)/mutmut results --all true | awk -F': ' '{ m = $$1; sub(/^ +/, "", m); sub(/\.x[^.]*__mutmut_[0-9]+$$/, "", m); \
		n[m]++; s[m, $$2]++ } END { for (m in n) { run = n[m] - s[m, "not checked"]; if (run == 0) continue; \
		printf "%-34s %4d mutants  %5.1f%% killed  (%d survived, %d no tests, %d timeout)\n", \
		m, run, 100 * (s[m, "killed"] + s[m, "timeout"]) / run, s[m, "survived"], s[m, "no tests"], s[m, "timeout"] } }' | sort

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache mutants
