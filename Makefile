# Two commands for a newcomer: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-unit lint fmt bench migrate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: set up, migrate SQLite, start the four services with demo data (Ctrl-C stops them)
run: $(STAMP)
	$(PY) scripts/run.py

## test: lint, then the whole suite on real PostgreSQL and Kafka started for the run
test: $(STAMP) lint
	scripts/test.sh

## test-unit: the pure-logic tests only (no servers needed)
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services scripts

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench: every benchmark, printed as one table (not part of the tests)
bench: $(STAMP)
	scripts/bench.sh

clean:
	rm -rf var .cache/kafka/state
