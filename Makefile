# Two commands that work on a fresh machine:
#   make serve   serve the app on the embedded SQLite with the shipped forms
#   make test    run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint check bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	mkdir -p data
	$(BIN)/survey-service forms check
	$(BIN)/survey-service demo
	$(BIN)/survey-service serve --demo-waves

test: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/python benchmarks/journeys.py

clean:
	rm -rf $(VENV) data test-output
