# The README's commands. Each does its own set-up on a fresh machine with Python 3.11 and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9

export CCGI_HOME    ?= $(CURDIR)/.ccgi
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test ui env browser lock bench dictionary clean

## the environment: a venv with uv, the locked dependency set, and this project (editable)
$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

env: $(BIN)/.installed

## generate the sample if $CCGI_HOME has no inputs, then materialize every asset for every LEA
run: env
	$(BIN)/ccgi run

## Chromium from Debian for the browser tests (Playwright's own browser download does not work here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: install Debian's chromium package for the browser tests" >&2; fi; }

## the whole test suite
test: env browser
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

## Dagster's webserver and daemon (sensors on) at http://127.0.0.1:3000
ui: env
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -c "from ccgi_assets.cli import ensure_dagster_home; ensure_dagster_home()"
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## re-resolve the lock file after a dependency change in pyproject.toml
lock: env
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock

## the benchmarks: bench/results/<name>.json and BENCHMARKS.md's figures (about 15 minutes on 2 cores);
## BENCH_RUN_ARGS=--state-scale adds 2,000,000 students / 500 LEAs (see bench/bench_run.py --help)
BENCH_RUN_ARGS ?=
bench: env
	$(BIN)/python bench/bench_calpads.py
	$(BIN)/python bench/bench_share.py
	$(BIN)/python bench/bench_matching.py --schools 400 --runs 3 --json
	$(BIN)/python bench/bench_run.py $(BENCH_RUN_ARGS)
	$(BIN)/python bench/bench_contracts.py --warehouse /tmp/ccgi_bench/s200000_l40_seed3/home/warehouse.duckdb
	$(BIN)/python bench/bench_platform_files.py --home /tmp/ccgi_bench/s200000_l40_seed3/home --runs 3
	$(BIN)/python bench/report.py

dictionary: env
	$(BIN)/ccgi dictionary --out docs/data_dictionary.md

clean:
	rm -rf $(CCGI_HOME) $(DAGSTER_HOME)
