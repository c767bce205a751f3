# The commands of README.md and docs/development.md. `make demo` and `make test` work on a fresh
# machine: they create .venv, install carewindow and its pinned dependencies, and (for tests)
# Debian's chromium.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_HOME := $(CURDIR)/.prefect

.PHONY: install demo test lint format docs bench browser clean

$(BIN)/carewindow: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,distributed]"
	touch $@

install: $(BIN)/carewindow

demo: install
	$(BIN)/carewindow demo

# Reports are tested in a real headless browser: Debian's chromium, installed when missing.
browser:
	@test -x $(CHROMIUM) || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/ruff check analytics reports flows tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: install
	$(BIN)/ruff check analytics reports flows tests benchmarks
	$(BIN)/ruff format --check analytics reports flows tests benchmarks

format: install
	$(BIN)/ruff format analytics reports flows tests benchmarks
	$(BIN)/ruff check --fix analytics reports flows tests benchmarks

# The generated parts of README.md and docs/ (docs/development.md): each generator's --check
# says whether its part is current, and the tests check them too.
docs: install
	$(BIN)/python -m flows.cli_reference --write
	$(BIN)/python -m analytics.doc_pages --write
	$(BIN)/python -m analytics.dictionary --write

bench: install
	$(BIN)/python benchmarks/run.py --messages 1000000

clean:
	rm -rf data/demo data/generated data/tmp data/bench .prefect .pytest_cache
