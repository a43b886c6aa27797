# make demo: set everything up and build the demo store.  make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-quick lint bench bench-forecast bench-inventory bench-scale bench-finance docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/shopkeeper demo

test: $(STAMP) lint
	$(BIN)/pytest

test-quick: $(STAMP)
	$(BIN)/pytest -m "not slow" -x -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP) bench-forecast bench-inventory bench-scale bench-finance
	$(BIN)/python bench/ingest.py

bench-forecast: $(STAMP)
	$(BIN)/python bench/forecast_m5.py

bench-inventory: $(STAMP)
	$(BIN)/python bench/inventory_policies.py

bench-scale: $(STAMP)
	$(BIN)/python bench/forecast_scale.py

bench-finance: $(STAMP)
	$(BIN)/python bench/finance.py

docs: $(STAMP)
	$(BIN)/python -m shopkeeper.store.schema > docs/schema.md

clean:
	rm -rf $(VENV) shopkeeper-data .pytest_cache
