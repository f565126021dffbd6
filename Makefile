# Two commands: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-org
DEMO_CLIENTS ?= 40000

.PHONY: demo test lint typecheck pytest bench clean venv browser-check chromium postgres postgres-stop

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_DIR)
	$(BIN)/decisionframe demo $(DEMO_DIR) --clients $(DEMO_CLIENTS) --seed 1

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers (the machine's two cores); tests sharing an expensive fixture stay on one
# worker (tests/conftest.py). A plain `pytest` runs serially, for one file at a time.
# One OpenMP thread per worker: two workers on two cores each spinning two OpenMP threads
# (scikit-learn's gradient boosting) made the suite several times slower.
PYTEST_WORKERS ?= 2
pytest: $(STAMP) chromium
	OMP_NUM_THREADS=1 $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

# Debian's chromium, for the browser tests (pytest drives it through Playwright) and the
# report check: the way a reader's browser sees the pages.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (for the report check)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# A throwaway PostgreSQL server for the PostgreSQL store and engine tests (the one CI starts;
# installs Debian's postgresql if missing). Use: eval "$$(make -s postgres)"; then the tests
# find it through DECISIONFRAME_TEST_POSTGRES. `make postgres-stop` stops and deletes it.
postgres:
	@tools/postgres.sh start --install

postgres-stop:
	@tools/postgres.sh stop

browser-check: $(STAMP) chromium
	$(BIN)/python tools/check_report.py

# The browser check runs inside pytest (tests/report/test_browser_check.py), on the report of
# the suite's shared pipeline organization, in parallel with the rest; `make browser-check`
# runs it alone on a demo organization of its own.
test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
