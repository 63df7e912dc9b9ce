# Two commands for a newcomer: `make run` and `make test`. Each sets itself up.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# The first Python >= 3.11 on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
INSTALLED := $(VENV)/.installed

.PHONY: run demo test lint format bench bench-notices clean

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "reqtrack needs Python 3.11 or newer on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## Serve the API on http://$(HOST):$(PORT) (docs at /docs); SQLite in ./var unless DATABASE_URL is set.
# Only from the command line (make run PORT=8001): shells and containers export HOST and PORT.
HOST := 127.0.0.1
PORT := 8000
run: $(INSTALLED)
	$(BIN)/reqtrack serve --host $(HOST) --port $(PORT)

## Load the demo dataset into the database `make run` serves (run it beside the server).
demo: $(INSTALLED)
	$(BIN)/reqtrack demo

## Run the whole suite on SQLite and, when reachable, PostgreSQL (TEST_DATABASE_URL).
test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## ruff and mypy, as CI would want them.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Load benchmark against the stack's ceiling: make bench BENCH_ARGS="--requests 100000 --db postgresql"
bench: $(INSTALLED)
	@command -v wrk >/dev/null || { echo "make bench needs wrk (Debian: apt-get install wrk)"; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Notices: queueing a need decision's 2 000 and sending them: make bench-notices BENCH_ARGS="--db postgresql"
bench-notices: $(INSTALLED)
	$(BIN)/python -m bench.notices $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
