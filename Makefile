# MLOps Monitor: `make run` opens the app on the demo workspace, `make test` runs the checks.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint demo job bench clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt constraints.txt
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/python -m monitor demo

job: $(VENV)/.runtime
	$(BIN)/python -m monitor run || echo "monitoring job reported failures (see above); the app shows what it has"

# The app starts exactly as the container starts it (scripts/start.sh).
run: demo job
	PORT=$(PORT) PYTHON=$(BIN)/python sh scripts/start.sh

system-deps:
	@bash scripts/system-deps.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check .

test: $(VENV)/.dev system-deps lint
	$(BIN)/python -m pytest

bench: $(VENV)/.dev
	$(BIN)/python bench/drift.py
	$(BIN)/python bench/false_alarms.py
	$(BIN)/python bench/explain.py
	$(BIN)/python bench/estimation.py
	$(BIN)/python bench/lineage.py
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) .monitor test-artifacts .pytest_cache .ruff_cache
