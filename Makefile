# Two commands for a newcomer: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-unit lint fmt docs bench soak migrate clean

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

## docs: regenerate docs/traceability.md (rules -> seed articles, code, tests); check doc links
docs: $(STAMP)
	$(PY) scripts/traceability.py
	$(PY) scripts/doclinks.py

## bench: every benchmark, one table, also written to bench/results.md (BENCH_ARGS=--quick: smoke)
bench: $(STAMP)
	scripts/bench.sh $(BENCH_ARGS)

## soak: SOAK_SECONDS (600) of mixed load through the gateway; fails on errors or RSS growth
soak: $(STAMP)
	scripts/soak.sh $(SOAK_ARGS)

clean:
	rm -rf var .cache/kafka/state
