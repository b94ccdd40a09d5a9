# heardback: `make run` starts the embedded stack, `make test` runs the tests.
# Both create the virtual environment first if it is missing or out of date.

PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run worker demo test lint fmt record-history openapi screenshots faults bench simulate clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install pinned dependencies

run: $(STAMP) ## Temporal dev server (UI :8233, SQLite in var/) + worker, mail to var/outbox
	$(BIN)/python -m heardback.worker.stack

worker: $(STAMP) ## the worker alone, against HEARDBACK_TEMPORAL_ADDRESS
	$(BIN)/python -m heardback.worker

demo: $(STAMP) ## drive a compressed, realistic scenario against the running stack
	$(BIN)/python -m heardback.starter.demo

test: $(STAMP) ## the whole test suite (time-skipping server, dev server, SMTP and PostgreSQL on loopback)
	@scripts/ensure-postgres.sh
	@scripts/ensure-chromium.sh
	@scripts/ensure-ts-example.sh
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

record-history: $(STAMP) ## re-record the replay fixture after a deliberate workflow change
	$(BIN)/python -m scripts.record_history --release $(or $(RELEASE),1.8)

faults: $(STAMP) ## the long form of the fault tests (more candidacies, more SIGKILLs); prints figures
	HEARDBACK_FAULTS=long $(BIN)/python -m pytest -s tests/test_faults.py tests/test_e2e_devserver.py

bench: $(STAMP) ## heardback vs raw Temporal: 1,000 lifecycles, 10,000 open candidacies; appends to docs/PERFORMANCE.md
	$(BIN)/python -m bench.lifecycle --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal --record docs/PERFORMANCE.md

simulate: $(STAMP) ## a seeded hiring month, plain ATS vs heardback, on the time-skipping server; rewrites docs/SIMULATION.md
	$(BIN)/python -m bench.simulate --markdown docs/SIMULATION.md --html docs/simulation.html --json docs/simulation.json

openapi: $(STAMP) ## regenerate docs/openapi.json after changing the gateway or the models
	$(BIN)/python -m heardback.gateway --openapi > docs/openapi.json

screenshots: $(STAMP) ## regenerate docs/pages/*.png (the one-step pages at phone and desktop widths)
	$(BIN)/python -m scripts.page_screenshots

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
