# dangjian-ingest: every target sets itself up; a fresh machine needs only Python 3.11 and pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Prefect keeps its state (ephemeral API database, profiles) in the project, not in ~/.prefect,
# so `make run`, `make server` and the UI all see the same runs. Tests use their own temporary home.
export PREFECT_HOME ?= $(CURDIR)/data/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PYTHONUNBUFFERED := 1

.PHONY: install run demo test lint typecheck check db-upgrade clean help

help:
	@echo "make run        crawl the registered portals once into \$$DATABASE_URL (default sqlite:///data/dangjian.db)"
	@echo "make demo       crawl the bundled loopback replica portal into data/demo.db and print the summary"
	@echo "make test       run the test suite"
	@echo "make lint       ruff + mypy"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

db-upgrade: $(STAMP)
	$(BIN)/dangjian db upgrade

run: $(STAMP)
	$(BIN)/dangjian db upgrade
	$(BIN)/dangjian ingest

demo: $(STAMP)
	$(BIN)/python -m replica.demo --database-url sqlite:///data/demo.db

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint test

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
