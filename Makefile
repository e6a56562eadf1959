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

## the benchmarks at their quick sizes (state scale: see each script's --help)
bench: env
	for b in calpads generate matching platform; do echo "== bench_$$b"; $(BIN)/python bench/bench_$$b.py || exit 1; done
	$(BIN)/python bench/bench_student_flow.py --students 100000 --leas 50

dictionary: env
	$(BIN)/ccgi dictionary --out docs/data_dictionary.md

clean:
	rm -rf $(CCGI_HOME) $(DAGSTER_HOME)
