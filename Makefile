# 昆明市职称申报评审系统 — two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests whose answers depend on today's date: rules, windows, validity, deadlines, numbers, reports.
DATE_SENSITIVE_TESTS ?= tests/unit tests/integration/review tests/integration/payment tests/integration/certificate \
	tests/integration/identity tests/integration/dossier/test_dossier_notices.py tests/e2e/test_review_http.py \
	tests/e2e/test_fees_and_certificates_http.py

.PHONY: run test test-at-hours lint unit integration e2e install system-packages databases services-up \
	rebuild-projections bench fuzz faults clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the suite needs (Chromium, a CJK font, poppler, libfaketime): deploy/dev/system-packages.txt.
system-packages:
	bash deploy/dev/install-system-packages.sh

lint: install
	$(BIN)/ruff check .

# Start PostgreSQL and RabbitMQ if this machine has them installed but stopped.
services-up:
	bash deploy/dev/ensure-infra.sh

databases: install services-up
	$(BIN)/python -m deploy.dev.databases

run: system-packages databases
	$(BIN)/python -m deploy.dev.launch

# The whole suite, then the date-sensitive tests again with the clock at 07:59 Beijing time (23:59 UTC:
# the UTC date turns over during the run while the Beijing one does not).
test: system-packages databases lint
	$(BIN)/pytest tests
	$(BIN)/python -m tests.at_hour 07:59 -- $(BIN)/pytest -q $(DATE_SENSITIVE_TESTS)

# The same tests at each hour where a date can go wrong: around Beijing and around UTC midnight.
test-at-hours: system-packages databases
	for hour in 23:59 00:01 07:59 08:01; do \
	  $(BIN)/python -m tests.at_hour $$hour -- $(BIN)/pytest -q $(DATE_SENSITIVE_TESTS) || exit 1; done

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

# schemathesis against a running `make run` (it changes the demo's data): no request may get a 5xx.
fuzz: install
	$(BIN)/python bench/fuzz.py

# Fault injection (broker stop, kill -9, PostgreSQL restart, conflicting decisions) on a private RabbitMQ
# node, PostgreSQL cluster and ports; not part of `make test` (docs/faults.md). FAULTS_ARGS=--quick etc.
faults: install
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

clean:
	rm -rf .run test-artifacts
