# The two commands: `make run` (set-up + whole pipeline on the sample data) and `make test`.
# `make test-fast`: every test but the `slow` ones (those that run the whole pipeline, dbt or
# Spark), in under two minutes.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LANDING ?= data/landing
SAMPLE_CUSTOMERS ?= 2000

.PHONY: run test test-fast setup manifest sample dev lint docs lock clean app browser bench

run: setup manifest sample
	$(BIN)/cdp run

test: setup manifest browser lint
	$(BIN)/pytest -n 2 -q --durations=15

test-fast: setup manifest
	$(BIN)/pytest -n 2 -q -m "not slow"

# The leaders' page on the published snapshot of the marts (run `make run` first).
APP_PORT ?= 8501
app: setup
	$(BIN)/python -m dagster_project.page_server --server.headless true --server.port $(APP_PORT) \
	  --browser.gatherUsageStats false

# Debian's chromium for the browser tests (tests/test_browser.py), installed when missing.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium for the browser tests (apt-get)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium; }

# A venv with the pinned set (constraints.txt), made again when the pins change.
setup: $(STAMP)
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

# dbt's manifest, prepared ahead so that loading the Dagster definitions never parses dbt.
manifest: setup
	$(BIN)/python -c "from dagster_project.transform.project import prepare_manifest; prepare_manifest()"

# The built-in sample landing zone, written once (an existing landing zone is left alone).
sample: setup
	@if [ -z "$$(ls -A $(LANDING) 2>/dev/null)" ]; then \
	  $(BIN)/cdp generate --out $(LANDING) --customers $(SAMPLE_CUSTOMERS) --seed 42; \
	else echo "landing zone $(LANDING) is not empty: using it as it is"; fi

# The Dagster UI and daemon (schedules, sensors, freshness) on DAGSTER_PORT, on the instance
# `cdp run` records its runs in (dagster_project/instance.py): DAGSTER_HOME, default
# .dagster_home, given deploy/dagster.yaml when it has none.
DAGSTER_PORT ?= 3000
dev: setup manifest
	DAGSTER_HOME=$$($(BIN)/python -m dagster_project.instance) && \
	  DAGSTER_HOME=$$DAGSTER_HOME $(BIN)/dagster dev -m dagster_project.definitions -p $(DAGSTER_PORT)

# ruff for the Python, SQLFluff for the dbt models (dbt/.sqlfluff).
# ruff for Python, SQLFluff (dbt/.sqlfluff: DuckDB dialect, jinja templater) for the dbt models.
lint: setup
	$(BIN)/ruff check dagster_project tests bench app.py
	$(BIN)/sqlfluff lint dbt/models

docs: setup manifest
	cd dbt && ../$(BIN)/dbt docs generate --project-dir . --profiles-dir .
	@echo "dbt docs: dbt/target/index.html (serve with: cd dbt && ../$(BIN)/dbt docs serve)"

# The pipeline benchmark (bench/pipeline.py; README "Performance"): generates a landing zone at
# the default scale and times the floor, a full run, a run with nothing new and one more day.
# Takes a while; options in BENCH_ARGS, e.g. make bench BENCH_ARGS="--customers 20000 --keep".
bench: setup manifest
	$(BIN)/python bench/pipeline.py $(BENCH_ARGS)

# Pin again after changing dependencies in pyproject.toml.
lock: setup
	{ echo "# Every package a fresh clone installs, pinned (pip freeze of a working venv on Python 3.11)."; \
	  echo "# Regenerate with: make lock"; \
	  $(BIN)/pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) dbt/target dbt/logs .dagster_home
