# Every target bootstraps its own environment: a pinned uv (installed with pip into .tools/ when
# none is on PATH), then `uv sync --frozen` from uv.lock. Nothing else needs to be preinstalled.
SHELL := /bin/bash
UV_VERSION := 0.9.30
TOOLS := $(CURDIR)/.tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
RUN := $(UV) run --frozen --no-sync

export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export PYTHONUNBUFFERED := 1

.PHONY: help env test lint demo dev load close bench docs simulator clean

help:
	@echo "make demo | test | dev | load START=YYYY-MM-DD END=YYYY-MM-DD | close MONTH=YYYY-MM | bench | docs"

$(TOOLS)/bin/uv:
	python3 -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION)

.venv/.synced: uv.lock pyproject.toml | $(if $(findstring $(TOOLS),$(UV)),$(TOOLS)/bin/uv)
	$(UV) sync --frozen
	@touch $@

env: .venv/.synced

# SQLFluff lints what dbt compiles (models, analyses, singular tests) with the config and lint-only
# dbt profile of .sqlfluff, on every core. Bytecode is cached as for the tests (below): dbt and
# SQLFluff compile from source otherwise, a few CPU seconds per process.
SQLFLUFF_PATHS := dbt_project/models dbt_project/analyses dbt_project/tests

lint: export PYTHONDONTWRITEBYTECODE :=
lint: env
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) sqlfluff lint $(SQLFLUFF_PATHS) --processes 0

# Three workers on this project's reference machine of 2 cores (TEST_WORKERS=0 runs in one
# process): the suite's processes spend part of their time waiting (fsyncs of SQLite and DuckDB,
# Dagster daemon ticks, servers starting), and with two workers the cores were busy 84 % of the
# time. Each test file is one group and the reliability suite one group (tests/conftest.py),
# longest first. SQLFluff runs as one of the tests (tests/lint/test_sqlfluff.py, about a minute of
# CPU) so that xdist overlaps it with the others, instead of adding its wall time before pytest.
TEST_WORKERS ?= 3
# Python caches compiled modules (__pycache__) during the tests even where the environment says
# not to (PYTHONDONTWRITEBYTECODE, common in containers): the suite starts hundreds of Python
# processes (loads, dbt, simulators), and each would compile dagster and dbt from source again,
# about 3 CPU seconds apiece.
test: export PYTHONDONTWRITEBYTECODE :=
test: env
	$(RUN) ruff check .
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=20

demo: env
	$(RUN) mpo-pipeline demo

dev: env
	$(RUN) mpo-pipeline dev

load: env
	@test -n "$(START)" -a -n "$(END)" || { echo "usage: make load START=YYYY-MM-DD END=YYYY-MM-DD" >&2; exit 2; }
	$(RUN) mpo-pipeline load --start "$(START)" --end "$(END)"

close: env
	@test -n "$(MONTH)" || { echo "usage: make close MONTH=YYYY-MM" >&2; exit 2; }
	$(RUN) mpo-pipeline close --month "$(MONTH)"

docs: env
	$(RUN) mpo-pipeline docs

simulator: env
	$(RUN) mpo-pipeline simulator --port $${PORT:-8765}

bench: env
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(RUN) python $$b || exit 1; done

clean:
	rm -rf .venv .tools data dbt_project/target dbt_project/logs
