# 昆明市职称申报评审系统 — two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit integration e2e install databases services-up rebuild-projections bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Start PostgreSQL and RabbitMQ if this machine has them installed but stopped.
services-up:
	bash deploy/dev/ensure-infra.sh

databases: install services-up
	$(BIN)/python -m deploy.dev.databases

run: databases
	$(BIN)/python -m deploy.dev.launch

test: databases
	$(BIN)/pytest tests

unit: install
	$(BIN)/pytest tests/unit

integration: databases
	$(BIN)/pytest tests/integration

e2e: databases
	$(BIN)/pytest tests/e2e

rebuild-projections: install
	$(BIN)/python -m services.dossier.rebuild

bench: databases
	$(BIN)/python bench/dossier_commands.py

clean:
	rm -rf .run test-artifacts
