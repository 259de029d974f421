# digitalpost — the two commands: `make run` (demo hub) and `make test` (everything that matters).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_VAR := $(CURDIR)/var

.PHONY: run test test-fast test-postgres lint bench setup setup-dev setup-system clean

$(VENV)/.runtime: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.lock
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

## Start the whole hub with demo data on SQLite + local files (HOST/PORT override 127.0.0.1:8000).
run: setup
	DIGITALPOST_DEMO=1 DIGITALPOST_VAR=$(DEMO_VAR) $(BIN)/digitalpost migrate
	DIGITALPOST_DEMO=1 DIGITALPOST_VAR=$(DEMO_VAR) $(BIN)/digitalpost demo load --base-url http://$(HOST):$(PORT)
	DIGITALPOST_DEMO=1 DIGITALPOST_VAR=$(DEMO_VAR) exec $(BIN)/digitalpost run --host $(HOST) --port $(PORT)

## Debian packages the tests drive for real: Chromium, PostgreSQL server binaries, openssl.
setup-system:
	bash scripts/setup-system.sh

lint: setup-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports --no-cache
	DIGITALPOST_TESTING=1 $(BIN)/mypy

## Everything: lint, import contracts, the suite on SQLite (browser tests included), then on PostgreSQL; each half
## ends with its 15 slowest tests, to keep an eye on the 20-minute CI budget.
test: setup-dev setup-system lint
	bash scripts/pytest.sh $(BIN)/pytest -n 2 -p no:cacheprovider --durations=15
	bash scripts/pytest.sh $(BIN)/python tests/with_postgres.py -n 2 -p no:cacheprovider -m "not browser" --durations=15

test-fast: setup-dev
	bash scripts/pytest.sh $(BIN)/pytest -n 2 -m "not slow and not browser"

bench: setup-dev setup-system
	bash scripts/setup-bench.sh
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
