# Two commands do everything: `make run` (demo pipeline end to end) and
# `make test` (every check). See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin

# Where identified data lives (default: git-ignored ./warehouse). Point it
# outside the checkout for real data: make run DROP=/secure/drop WAREHOUSE=/secure/wh
WAREHOUSE ?= $(CURDIR)/warehouse
# An agency drop to load; empty = generate a demo drop into $(WAREHOUSE)/demo_drop.
DROP ?=
# Demo drop size and shape.
STUDENTS ?= 20000
YEARS ?= 2021-2024
SEED ?= 20261203
NOISE ?= default

WAREHOUSE_ABS := $(abspath $(WAREHOUSE))
# The generator writes <dir>/drop/*.csv and the ground truth beside it in <dir>/truth/.
DEMO_DIR := $(WAREHOUSE_ABS)/demo
DROP_DIR := $(if $(DROP),$(abspath $(DROP)),$(DEMO_DIR)/drop)

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DATASHARE_WAREHOUSE := $(WAREHOUSE_ABS)
export DBT_TARGET_PATH := $(WAREHOUSE_ABS)/dbt/target
export DBT_LOG_PATH := $(WAREHOUSE_ABS)/dbt/logs
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
# Generated demo data is built under the named demo key (outputs are marked so);
# a real drop needs DATASHARE_RESEARCH_KEY from the environment.
ifeq ($(DROP),)
export DATASHARE_RESEARCH_KEY ?= demo-key-not-for-real-data
endif

DBT := $(BIN)/dbt
DATASHARE := $(BIN)/datashare

.PHONY: help install run pipeline generate load build test pytest dbt-ci docs bi-check lint sources bench screenshot clean

help:
	@echo "make run   [DROP=DIR] [WAREHOUSE=DIR]  install, (generate,) load, build, test, publish, summarize"
	@echo "make test                             every check: pytest, dbt build on a small drop, sqlfluff"
	@echo "make docs  [WAREHOUSE=DIR]            dbt docs site (lineage) of the built warehouse"
	@echo "make bench                            statewide-scale benchmarks (prints figures)"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip==26.0
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	touch $@

run: install
	@mkdir -p $(WAREHOUSE_ABS)
	@if [ -z "$(DROP)" ]; then \
		echo "== generating a demo drop ($(STUDENTS) students a year, $(YEARS)) into $(DEMO_DIR)"; \
		rm -rf $(DEMO_DIR) && $(DATASHARE) generate --out $(DEMO_DIR) --students $(STUDENTS) \
			--years $(YEARS) --seed $(SEED) --noise $(NOISE); \
	fi
	$(MAKE) --no-print-directory pipeline DROP_DIR=$(DROP_DIR)

# load -> stage -> link -> build and test -> publish -> report (DROP_DIR given).
pipeline:
	$(DATASHARE) pipeline $(DROP_DIR) --warehouse $(WAREHOUSE_ABS)
	@echo "== source freshness (load time of each raw table; warn after $$(grep -o 'freshness_warn_days: [0-9]*' dbt_project.yml | cut -d' ' -f2) days)"
	$(DBT) source freshness --project-dir $(CURDIR)
	@echo "== what the marts say (latest school year; from the published mart only)"
	$(DATASHARE) summary --warehouse $(WAREHOUSE_ABS)

# Checks -------------------------------------------------------------------

CI_WAREHOUSE := $(CURDIR)/build/ci-warehouse

test: install
	$(MAKE) --no-print-directory pytest
	$(MAKE) --no-print-directory dbt-ci
	$(MAKE) --no-print-directory lint

pytest:
	$(BIN)/pytest

# dbt build (models + tests) on a small generated drop, in a throw-away warehouse.
dbt-ci:
	rm -rf $(CI_WAREHOUSE)
	$(MAKE) --no-print-directory run WAREHOUSE=$(CI_WAREHOUSE) STUDENTS=3000 YEARS=2022-2024 \
		DATASHARE_RESEARCH_KEY=demo-key-not-for-real-data
	$(MAKE) --no-print-directory docs WAREHOUSE=$(CI_WAREHOUSE)
	$(MAKE) --no-print-directory bi-check WAREHOUSE=$(CI_WAREHOUSE)

# The published BI file opens in the oldest DuckDB 1.x client (what BI drivers bundle), in its own venv.
BI_CLIENT_VENV := $(CURDIR)/build/duckdb-1.0
BI_CLIENT_DUCKDB := duckdb==1.0.0
bi-check:
	@[ -x $(BI_CLIENT_VENV)/bin/python ] || $(PYTHON) -m venv $(BI_CLIENT_VENV)
	@$(BI_CLIENT_VENV)/bin/python -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$(BI_CLIENT_DUCKDB:duckdb==%=%)')" 2>/dev/null \
		|| $(BI_CLIENT_VENV)/bin/pip install --quiet --disable-pip-version-check $(BI_CLIENT_DUCKDB)
	$(BI_CLIENT_VENV)/bin/python scripts/check_bi_client.py $(WAREHOUSE_ABS)/published

# The dbt docs site (lineage, the conventions front page) of the built warehouse: $(WAREHOUSE)/dbt/target/index.html.
docs: install
	$(DBT) docs generate --project-dir $(CURDIR) --quiet
	@echo "docs site: $(DBT_TARGET_PATH)/index.html (serve: $(DBT) docs serve --project-dir $(CURDIR))"

lint:
	$(DATASHARE) contract check
	$(BIN)/sqlfluff lint models tests macros

# The report rendered in headless Chromium, saved as a PNG beside it (needs: apt-get install -y chromium).
screenshot:
	scripts/screenshot_report.sh $(WAREHOUSE_ABS)/report/report.html

# Rewrite the dbt source definitions from the extract contract.
sources: install
	$(DATASHARE) contract sources

# Statewide-scale benchmark of the whole pipeline (1/4, 1/2, full scale, and a
# one-year resubmission); prints figures and writes build/benchmark/benchmark.{json,md}.
bench: install
	$(DATASHARE) benchmark --workdir $(CURDIR)/build/benchmark

clean:
	rm -rf build target logs
